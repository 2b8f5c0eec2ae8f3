package snapshot_test

import (
	"fmt"
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

// A snapshot test in the package of a CDK app, next to its cdk.json. The first run
// fails and says to run `UPDATE_SNAPSHOTS=1 go test ./...`, which writes the file.
func ExampleMatch() {
	TestMyStack := func(t *testing.T) {
		app := snapshot.NewApp(t, "cdk.json")
		stack := NewMyStack(app, "MyStack", nil)
		snapshot.Match(t, stack, "testdata/MyStack.template.json")
	}
	_ = TestMyStack
}

// Options change what is compared: here the construct paths are left out.
func ExampleMatch_options() {
	TestMyStack := func(t *testing.T) {
		app := snapshot.NewApp(t, "cdk.json")
		stack := NewMyStack(app, "MyStack", nil)
		snapshot.Match(t, stack, "testdata/MyStack.template.json",
			snapshot.Drop("Resources", "*", "Metadata", "aws:cdk:path"))
	}
	_ = TestMyStack
}

// Template is the normalized template as Go values, for assertions of your own.
func ExampleTemplate() {
	TestQueueRetention := func(t *testing.T) {
		app := snapshot.NewApp(t, "cdk.json")
		tpl := snapshot.Template(NewMyStack(app, "MyStack", nil))
		for id, r := range tpl["Resources"].(map[string]any) {
			if r.(map[string]any)["Type"] == "AWS::SQS::Queue" {
				fmt.Println("queue", id)
			}
		}
	}
	_ = TestQueueRetention
}
