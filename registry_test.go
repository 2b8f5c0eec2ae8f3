package privaterdsapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// TestNoStateOutsideTheTree: the library keeps no package-level variable that holds
// constructs (a registry keyed or valued by CDK objects, or its lock): such state keeps
// every app a process builds reachable and spans apps. Shared constructs are found in the
// construct tree instead (EndpointsOf, the account role).
func TestNoStateOutsideTheTree(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				var text strings.Builder
				if v.Type != nil {
					text.WriteString(types(v.Type))
				}
				for _, value := range v.Values {
					text.WriteString(types(value))
				}
				for _, bad := range []string{"awscdk.", "awsec2.", "constructs.", "PrivateEndpoints", "PrivateRdsApi", "ApiGatewayAccountRole", "sync."} {
					if strings.Contains(text.String(), bad) {
						t.Errorf("%s: package-level variable %s holds %s: find shared constructs in the construct tree instead", fset.Position(v.Pos()), v.Names[0].Name, bad)
					}
				}
			}
		}
	}
}

// types is the text of the type names an expression mentions.
func types(e ast.Expr) string {
	var b strings.Builder
	ast.Inspect(e, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				b.WriteString(id.Name + "." + x.Sel.Name + " ")
			}
		case *ast.Ident:
			b.WriteString(x.Name + " ")
		}
		return true
	})
	return b.String()
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestManyAppsInOneProcess builds a few hundred apps in one process (and synthesizes some),
// as a test binary does, each with two APIs in one imported VPC (shared endpoints, one
// account role), and reports the Go heap after GC at intervals. The library keeps nothing
// between apps; jsii-runtime-go keeps a Go proxy of every JavaScript object it has seen
// for the process's life (its object store has no release), so the heap grows by the
// same amount for each app: what this test refuses is growth that speeds up, which state
// spanning apps (a registry scanned or filled per app) would show.
func TestManyAppsInOneProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 200 apps")
	}
	const apps, every = 200, 50
	start := time.Now()
	build := func(i int) {
		app := awscdk.NewApp(&awscdk.AppProps{BuiltinCloudFormationValidation: jsii.Bool(false)})
		s := scenarios.NewStack(app, "Orders", scenarios.Env())
		first := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Orders"), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: scenarios.ImportedVpc(s)})
		second := privaterdsapi.NewPrivateRdsApi(s, jsii.String("Billing"), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(s), Vpc: first.Vpc})
		if second.Endpoints != first.Endpoints || second.AccountRole != first.AccountRole {
			t.Fatal("the second API does not share the first one's endpoints and account role")
		}
		if i%every == 0 { // synthesis (with the checks that read the tree) now and then
			app.Synth(nil)
		}
	}
	build(0) // jsii's and aws-cdk-lib's one-time state
	heap := []uint64{heapAfterGC()}
	for i := 1; i <= apps; i++ {
		build(i)
		if i%every == 0 {
			heap = append(heap, heapAfterGC())
			t.Logf("%3d apps: heap after GC %6d KiB, %+5d KiB in the last %d apps (%v)", i, heap[len(heap)-1]/1024,
				(int64(heap[len(heap)-1])-int64(heap[len(heap)-2]))/1024, every, time.Since(start).Round(time.Second))
		}
	}
	firstStep := int64(heap[1]) - int64(heap[0])
	lastStep := int64(heap[len(heap)-1]) - int64(heap[len(heap)-2])
	if lastStep > 2*firstStep+1<<20 {
		t.Errorf("the heap grows faster with each app: %d KiB in the first %d apps, %d KiB in the last %d", firstStep/1024, every, lastStep/1024, every)
	}
}
