package privaterdsapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// containerDefinition returns the one container of the scenario's one task definition;
// a scenario with more is a test that must say which (see taskContainers).
func containerDefinition(t *testing.T, s *synthesized) (td resource, c map[string]any) {
	t.Helper()
	all := taskContainers(s)
	if len(all) != 1 {
		t.Fatalf("%s: %d containers in %d task definitions, want one", s.name, len(all), len(s.resources("AWS::ECS::TaskDefinition")))
	}
	return all[0].td, all[0].c
}

// taskContainer is one container definition with its task definition.
type taskContainer struct {
	td resource
	c  map[string]any
}

// taskContainers returns every container of every task definition of the template.
func taskContainers(s *synthesized) []taskContainer {
	var out []taskContainer
	for _, td := range s.resources("AWS::ECS::TaskDefinition") {
		for _, c := range asList(td.props["ContainerDefinitions"]) {
			out = append(out, taskContainer{td, c})
		}
	}
	return out
}

func TestReadOnlyRootFilesystemByDefault(t *testing.T) {
	for _, s := range allScenarios(t) {
		all := taskContainers(s)
		services := 0
		for _, a := range s.built.Apis {
			services += len(a.Services)
		}
		if len(all) != services {
			t.Errorf("%s: %d containers for %d services", s.name, len(all), services)
		}
		for _, tc := range all {
			readOnlyRoot(t, s, tc.td, tc.c)
		}
	}
}

// readOnlyRoot asserts the container c of task definition td: a read-only root file
// system, writable scratch volumes only where needed, the task's memory as its limit.
func readOnlyRoot(t *testing.T, s *synthesized, td resource, c map[string]any) {
	t.Helper()
	if c["ReadonlyRootFilesystem"] != true {
		t.Errorf("%s %s: ReadonlyRootFilesystem = %v, want true", s.name, td.id, c["ReadonlyRootFilesystem"])
	}
	// The task's memory is the container's hard limit.
	if c["Memory"] != td.props["Memory"] && ref(c["Memory"]) != td.props["Memory"] {
		t.Errorf("%s %s: container Memory %v, task Memory %v", s.name, td.id, c["Memory"], td.props["Memory"])
	}
	mounts := map[string]string{}
	for _, m := range asList(c["MountPoints"]) {
		if m["ReadOnly"] != false {
			t.Errorf("%s %s: mount %v is read-only", s.name, td.id, m)
		}
		mounts[m["ContainerPath"].(string)] = m["SourceVolume"].(string)
	}
	volumes := map[string]bool{}
	for _, v := range asList(td.props["Volumes"]) {
		if len(v) != 1 { // a bind mount with no host: Fargate ephemeral storage
			t.Errorf("%s %s: volume %v is not a plain task volume", s.name, td.id, v)
		}
		volumes[v["Name"].(string)] = true
	}
	want := []string{"/tmp"}
	if s.name == "Hardened" { // ECS Exec's agent needs its own writable places
		want = []string{"/managed-agents", "/tmp", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}
	}
	var got []string
	for path, volume := range mounts {
		got = append(got, path)
		if !volumes[volume] {
			t.Errorf("%s %s: mount %s uses volume %s, which the task lacks", s.name, td.id, path, volume)
		}
	}
	sortStrings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") || len(volumes) != len(want) {
		t.Errorf("%s %s: writable mounts %v (volumes %v), want %v", s.name, td.id, got, volumes, want)
	}
	if _, ok := c["User"]; ok != (s.name == "Hardened") {
		t.Errorf("%s %s: User %v: only the hardened scenario sets it; the default is the image's own", s.name, td.id, c["User"])
	}
}

func TestHardenedScenario(t *testing.T) {
	s := scenario(t, "Hardened")
	_, c := containerDefinition(t, s)
	if c["User"] != "65532:65532" {
		t.Errorf("User = %v", c["User"])
	}
	s.has(t, "AWS::ECS::TaskDefinition", map[string]any{"ContainerDefinitions": []any{map[string]any{
		"HealthCheck": map[string]any{"Command": []any{"CMD", "/app", "-healthcheck"}, "Interval": 30, "Timeout": 5, "Retries": 3, "StartPeriod": 10},
	}}})
	s.has(t, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"LoadBalancerAttributes": assertions.Match_ArrayWith(&[]any{
		map[string]any{"Key": "deletion_protection.enabled", "Value": "true"}})})
	s.has(t, "AWS::ApiGateway::Stage", map[string]any{"TracingEnabled": true})

	// ECS Exec: the service, the ssmmessages endpoint, the task role's permissions, and the
	// sessions logged into the container's log group, encrypted.
	s.has(t, "AWS::ECS::Service", map[string]any{"EnableExecuteCommand": true})
	if _, ok := serviceNames(s)["ssmmessages"]; !ok {
		t.Errorf("no ssmmessages endpoint: %v", keys(serviceNames(s)))
	}
	logGroup := s.only(t, "AWS::Logs::LogGroup", "ApiLogGroup").id
	s.has(t, "AWS::ECS::Cluster", map[string]any{"Configuration": map[string]any{"ExecuteCommandConfiguration": map[string]any{
		"Logging": "OVERRIDE",
		"LogConfiguration": map[string]any{"CloudWatchEncryptionEnabled": true,
			"CloudWatchLogGroupName": map[string]any{"Ref": logGroup}},
	}}})
	s.has(t, "AWS::IAM::Policy", map[string]any{"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
		map[string]any{"Action": []any{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
			"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}, "Effect": "Allow", "Resource": "*"}})}})

	// Every log group of the construct is encrypted with the key, unnamed, and the key's
	// policy allows the logs service of the region the names CloudFormation gives them
	// (<stack name>-<logical id>-<suffix>), and no other.
	key := s.only(t, "AWS::KMS::Key", "LogKey")
	var names []string
	for _, lg := range s.resources("AWS::Logs::LogGroup") {
		if ref(lg.props["KmsKeyId"]) != key.id+".Arn" {
			t.Errorf("log group %s: KmsKeyId %v, want the key", lg.id, lg.props["KmsKeyId"])
		}
		if lg.props["RetentionInDays"] != float64(365) {
			t.Errorf("log group %s: RetentionInDays %v", lg.id, lg.props["RetentionInDays"])
		}
		if name, ok := lg.props["LogGroupName"]; ok {
			t.Errorf("log group %s: LogGroupName %v: a fixed name collides with the retained log group after cdk destroy", lg.id, name)
		}
		names = append(names, "Hardened-"+lg.id+"-*")
	}
	sortStrings(names)
	if len(names) != 3 {
		t.Errorf("log groups %v, want the flow log's, the access log's and the container's", names)
	}
	var allowed []string
	for _, st := range asList(key.props["KeyPolicy"].(map[string]any)["Statement"]) {
		principal, _ := st["Principal"].(map[string]any)
		if principal["Service"] == nil {
			continue
		}
		service, _ := jsonString(principal["Service"])
		if !strings.HasPrefix(service, `{"Fn::Join":["",["logs.",{"Ref":"AWS::Region"},".",{"Ref":"AWS::URLSuffix"}]]}`) {
			t.Errorf("key policy principal %s, want the logs service of the region", service)
		}
		condition, _ := st["Condition"].(map[string]any)
		like, ok := condition["ArnLike"].(map[string]any)
		if !ok {
			t.Errorf("key policy condition %v, want ArnLike on the log group's ARN", condition)
			continue
		}
		arn, _ := jsonString(like["kms:EncryptionContext:aws:logs:arn"])
		name := arn[strings.LastIndex(arn, "log-group:")+len("log-group:"):]
		allowed = append(allowed, strings.TrimSuffix(name, `"]]}`))
	}
	sortStrings(allowed)
	if strings.Join(allowed, " ") != strings.Join(names, " ") {
		t.Errorf("the key policy allows the logs service %v, want exactly the log groups %v", allowed, names)
	}
}

func TestImportedLogKeyWarns(t *testing.T) {
	app := awscdk.NewApp(nil)
	s := envStack(app, "ImportedKey")
	key := awskms.Key_FromKeyArn(s, jsii.String("Key"), jsii.String("arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"))
	privaterdsapi.NewPrivateRdsApi(s, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image: scenarios.Image(s), LogEncryptionKey: key, ReadonlyRootFilesystem: jsii.Bool(false),
	})
	tpl := synthesize(t, "ImportedKey", &scenarios.Built{Stack: s})
	for _, lg := range tpl.resources("AWS::Logs::LogGroup") {
		if lg.props["KmsKeyId"] != "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9" {
			t.Errorf("log group %s: KmsKeyId %v", lg.id, lg.props["KmsKeyId"])
		}
	}
	if err := catch(func() {
		assertions.Annotations_FromStack(s).HasWarning(jsii.String("/ImportedKey/Api"),
			assertions.Match_StringLikeRegexp(jsii.String(`LogEncryptionKey is imported.*ArnLike.*log-group:ImportedKey-ApiLogGroup[0-9A-F]{8}-\*`)))
	}); err != nil {
		t.Error(err)
	}
	// Without a read-only root filesystem, no scratch volume.
	_, c := containerDefinition(t, tpl)
	if c["ReadonlyRootFilesystem"] != false || c["MountPoints"] != nil {
		t.Errorf("ReadonlyRootFilesystem false: container %v", c)
	}
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
