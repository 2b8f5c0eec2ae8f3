package privaterdsapi

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"
)

func TestSmoke(t *testing.T) {
	for _, v := range []VpcLinkVersion{VpcLinkV1, VpcLinkV2} {
		app := awscdk.NewApp(nil)
		st := awscdk.NewStack(app, jsii.String("S"), nil)
		repo := awsecr.Repository_FromRepositoryName(st, jsii.String("Repo"), jsii.String("app"))
		NewPrivateRdsApi(st, jsii.String("Api"), &PrivateRdsApiProps{Image: awsecs.ContainerImage_FromEcrRepository(repo, jsii.String("v1")), VpcLinkVersion: v})
		b, _ := json.MarshalIndent(assertions.Template_FromStack(st, nil).ToJSON(), "", " ")
		os.WriteFile("/tmp/smoke/"+string(v)+".json", b, 0o644)
	}
}
