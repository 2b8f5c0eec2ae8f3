package cfntemplate

import (
	"strings"
	"testing"
)

const sample = `{"Resources": {
  "Tasks": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
    "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Description": "S3"}]}},
  "Db": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}},
  "DbIngress": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
    "GroupId": {"Fn::GetAtt": ["Db", "GroupId"]}, "SourceSecurityGroupId": {"Fn::GetAtt": ["Tasks", "GroupId"]},
    "IpProtocol": "tcp", "FromPort": {"Ref": "Port"}, "ToPort": {"Ref": "Port"}}},
  "Service": {"Type": "AWS::ECS::Service", "DependsOn": ["DbIngress"], "Metadata": {"aws:cdk:path": "Stack/Api/Service"}},
  "Other": {"Type": "AWS::ECS::Service", "DependsOn": "Service"}
}}`

func TestReader(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	in, out := tpl.Rules()
	if got := RulesOf(out, "Tasks.GroupId"); strings.Join(got, ";") != "tcp:443-443 from/to 0.0.0.0/0" {
		t.Errorf("egress of Tasks: %v", got)
	}
	if len(in) != 1 || !in[0].Is("Db.GroupId", "Port", "Tasks.GroupId") || in[0].ID != "DbIngress" {
		t.Errorf("ingress: %+v", in)
	}
	if _, err := tpl.Only("AWS::ECS::Service", ""); err == nil || !strings.Contains(err.Error(), "found 2") {
		t.Errorf("Only of two services: %v", err)
	}
	svc, err := tpl.Only("AWS::ECS::Service", "Serv")
	if err != nil || svc.Path() != "Stack/Api/Service" || strings.Join(svc.DependsOn(), ",") != "DbIngress" {
		t.Errorf("service %+v: %v", svc, err)
	}
	if other, _ := tpl.Resource("Other"); strings.Join(other.DependsOn(), ",") != "Service" {
		t.Errorf("DependsOn as a string: %v", other.DependsOn())
	}
	if Ref("sg-1") != "sg-1" {
		t.Errorf("Ref of a literal: %s", Ref("sg-1"))
	}
	getAtt := map[string]any{"Fn::GetAtt": []any{"Db", "Endpoint.Port"}}
	if Ref(getAtt) != "Db.Endpoint.Port" || GetAttTarget(getAtt) != "Db" || RefID(getAtt) != "" || RefID(map[string]any{"Ref": "P"}) != "P" {
		t.Errorf("Ref %s, GetAttTarget %s", Ref(getAtt), GetAttTarget(getAtt))
	}
	if got := Ref(map[string]any{"Fn::ImportValue": "X"}); got != `{"Fn::ImportValue":"X"}` {
		t.Errorf("Ref of an import: %s", got)
	}
}
