package snapshot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi/snapshot"
)

// NewMyStack stands for the function of your app that builds a stack.
func NewMyStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	awssqs.NewQueue(stack, jsii.String("Queue"), nil)
	return stack
}

// A snapshot test in the package of a CDK app, next to its cdk.json (in your app:
// func TestMyStack(t *testing.T)). The first run fails and says to run
// `UPDATE_SNAPSHOTS=1 go test ./...`, which writes the file; later runs compare.
func ExampleMatch() {
	TestMyStack := func(t testing.TB) {
		app := snapshot.NewApp(t, "cdk.json")
		stack := NewMyStack(app, "MyStack", nil)
		snapshot.Match(t, stack, "testdata/MyStack.template.json")
	}

	// What `go test` reports in the app's directory, run after run; in CI (CI=true),
	// UPDATE_SNAPSHOTS=1 fails and writes nothing.
	inNewApp(func() {
		goTest(TestMyStack)
		goTest(TestMyStack, snapshot.UpdateEnv+"=1")
		goTest(TestMyStack)
		goTest(TestMyStack, "CI=true", snapshot.UpdateEnv+"=1")
	})
	// Output:
	// $ go test ./...
	// FAIL: snapshot.Match: golden file testdata/MyStack.template.json does not exist: run the test with UPDATE_SNAPSHOTS=1 in the environment to write it (for example `UPDATE_SNAPSHOTS=1 go test ./...`), then review and commit it
	// $ UPDATE_SNAPSHOTS=1 go test ./...
	// log: snapshot.Match: wrote testdata/MyStack.template.json (UPDATE_SNAPSHOTS is set): review its diff before committing
	// ok
	// $ go test ./...
	// ok
	// $ CI=true UPDATE_SNAPSHOTS=1 go test ./...
	// FAIL: snapshot.Match: UPDATE_SNAPSHOTS=1 asks to rewrite testdata/MyStack.template.json, but CI=true says this is a CI job: golden files are written on a developer's machine and reviewed, never rewritten by CI (a job that rewrites them passes whatever the template became). Remove UPDATE_SNAPSHOTS from the job; to write golden files in a shell where CI is set, run `env -u CI UPDATE_SNAPSHOTS=1 go test ./...`
}

// Options change what is compared: here the construct paths are left out, and the
// golden file holds what remains.
func ExampleMatch_options() {
	TestMyStack := func(t testing.TB) {
		app := snapshot.NewApp(t, "cdk.json")
		stack := NewMyStack(app, "MyStack", nil)
		snapshot.Match(t, stack, "testdata/MyStack.template.json",
			snapshot.Drop("Resources", "*", "Metadata", "aws:cdk:path"))
	}

	// The golden file that UPDATE_SNAPSHOTS=1 writes:
	inNewApp(func() {
		goTest(TestMyStack, snapshot.UpdateEnv+"=1")
		b, err := os.ReadFile("testdata/MyStack.template.json")
		if err != nil {
			panic(err)
		}
		fmt.Print(string(b))
	})
	// Output:
	// $ UPDATE_SNAPSHOTS=1 go test ./...
	// log: snapshot.Match: wrote testdata/MyStack.template.json (UPDATE_SNAPSHOTS is set): review its diff before committing
	// ok
	// {
	//   "Resources": {
	//     "Queue4A7E3555": {
	//       "DeletionPolicy": "Delete",
	//       "Type": "AWS::SQS::Queue",
	//       "UpdateReplacePolicy": "Delete"
	//     }
	//   }
	// }
}

// Template is the normalized template as Go values, for assertions of your own.
func ExampleTemplate() {
	TestQueues := func(t testing.TB) {
		app := snapshot.NewApp(t, "cdk.json")
		tpl := snapshot.Template(NewMyStack(app, "MyStack", nil))
		for id, r := range tpl["Resources"].(map[string]any) {
			if r.(map[string]any)["Type"] == "AWS::SQS::Queue" {
				t.Logf("queue %s", id)
			}
		}
	}

	// The test logs each queue (`go test -v` shows the log):
	inNewApp(func() { goTest(TestQueues) })
	// Output:
	// $ go test ./...
	// log: queue Queue4A7E3555
	// ok
}

// inNewApp runs f in a new directory holding a cdk.json, as the directory of an app made
// by `cdk init app --language go`, and removes the directory afterwards. f runs on a
// developer's machine: with CI unset (so that Match may write golden files) and without
// UPDATE_SNAPSHOTS.
func inNewApp(f func()) {
	dir, err := os.MkdirTemp("", "snapshot-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "cdk.json"), []byte(`{"app": "go mod download && go run myapp.go"}`+"\n"), 0o644); err != nil {
		panic(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	if err := os.Chdir(dir); err != nil {
		panic(err)
	}
	defer func() {
		if err := os.Chdir(wd); err != nil {
			panic(err)
		}
	}()
	defer setenv("CI", nil)()
	defer setenv(snapshot.UpdateEnv, nil)()
	f()
}

// setenv sets (nil: unsets) the environment variable name and returns a function that
// restores it.
func setenv(name string, value *string) (restore func()) {
	old, had := os.LookupEnv(name)
	if value == nil {
		os.Unsetenv(name)
	} else {
		os.Setenv(name, *value)
	}
	return func() {
		if had {
			os.Setenv(name, old)
		} else {
			os.Unsetenv(name)
		}
	}
}

// goTest runs test as `go test` would, with the environment variables env
// ("NAME=value") set, and prints the command, what the test reported, and "ok" when it
// passed.
func goTest(test func(testing.TB), env ...string) {
	fmt.Println("$", strings.Join(append(env, "go test ./..."), " "))
	for _, e := range env {
		name, value, _ := strings.Cut(e, "=")
		defer setenv(name, &value)()
	}
	t := &exampleT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer t.cleanup()
		test(t)
	}()
	<-done
	if !t.failed {
		fmt.Println("ok")
	}
}

// exampleT is the testing.TB of goTest: it prints what the test reports. Like
// testing.T, Fatalf ends the test's goroutine. The methods the snapshot package does not
// call are left to the embedded nil testing.TB (and panic).
type exampleT struct {
	testing.TB
	failed bool
	dirs   []string
}

func (t *exampleT) Helper() {}

func (t *exampleT) Logf(format string, args ...any) {
	fmt.Println("log:", fmt.Sprintf(format, args...))
}

func (t *exampleT) Errorf(format string, args ...any) {
	t.failed = true
	fmt.Println("FAIL:", fmt.Sprintf(format, args...))
}

func (t *exampleT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}

// TempDir returns a new directory inside the app's directory, removed after the test.
func (t *exampleT) TempDir() string {
	dir, err := os.MkdirTemp(".", "tmp-")
	if err == nil {
		dir, err = filepath.Abs(dir)
	}
	if err != nil {
		panic(err)
	}
	t.dirs = append(t.dirs, dir)
	return dir
}

func (t *exampleT) cleanup() {
	for _, d := range t.dirs {
		os.RemoveAll(d)
	}
}
