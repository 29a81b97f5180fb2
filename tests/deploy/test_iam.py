"""Least privilege, checked on the template SAM deploys (translated), not on what we meant to write."""

from __future__ import annotations

from typing import Any

from framewatch.embedded.template import translate

# Actions AWS only authorizes on Resource "*" (no resource-level permissions exist for them).
STAR_RESOURCE_ALLOWED = {
    "rekognition:DetectLabels",
    "rekognition:DetectFaces",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
MANAGED_ALLOWED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in _as_list(policy["PolicyDocument"]["Statement"]):
                found.append((logical, statement))
    return found


def problems(template: dict[str, Any]) -> list[str]:
    found = []
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for arn in resource["Properties"].get("ManagedPolicyArns", []):
            text = str(arn)
            if "FullAccess" in text or text not in MANAGED_ALLOWED:
                found.append(f"{logical}: managed policy {text}")
    for logical, statement in role_statements(template):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        if "NotAction" in statement or "NotResource" in statement:
            found.append(f"{logical}: NotAction/NotResource")
        found += [f"{logical}: wildcard action {a}" for a in actions if "*" in a]
        if "*" in _as_list(statement.get("Resource")):
            found += [f"{logical}: {a} on Resource *" for a in actions if a not in STAR_RESOURCE_ALLOWED]
    return found


def test_every_role_grants_named_actions_on_named_resources() -> None:
    template = translate()
    assert role_statements(template), "no roles found: the walk is broken"
    assert problems(template) == []


def test_the_check_catches_wildcards_and_full_access() -> None:
    template = translate()
    role = next(
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("Policies")
    )
    role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    )
    role["Properties"].setdefault("ManagedPolicyArns", []).append(
        "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    )
    found = problems(template)
    assert any("wildcard action s3:*" in p for p in found)
    assert any("s3:* on Resource *" in p for p in found)
    assert any("AmazonS3FullAccess" in p for p in found)


def test_buckets_are_private_encrypted_and_the_api_is_keyed_and_throttled() -> None:
    resources = translate()["Resources"]
    bucket = resources["MediaBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    plan = next(r for r in resources.values() if r["Type"] == "AWS::ApiGateway::UsagePlan")
    assert plan["Properties"]["Throttle"] == {"BurstLimit": 50, "RateLimit": 20}
    assert any(r["Type"] == "AWS::ApiGateway::ApiKey" for r in resources.values())
    analyze = resources["AnalyzeFramesStateMachine"]["Properties"]
    assert analyze["TracingConfiguration"] == {"Enabled": True}
    assert analyze["LoggingConfiguration"]["Level"] == "ALL"
    alarms = {
        r["Properties"]["MetricName"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert {"ApproximateNumberOfMessagesVisible", "ExecutionsFailed"} <= alarms
    for function in (r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"):
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}


def test_the_api_can_draw_an_execution_graph_of_its_own_workflows_only() -> None:
    """The execution page draws the workflow from DescribeStateMachine: granted on the stack's two
    state machines, nothing else."""
    template = translate()
    granted = [
        statement["Resource"]
        for logical, statement in role_statements(template)
        if logical.startswith("FramesApiFunction")
        and "states:DescribeStateMachine" in _as_list(statement["Action"])
    ]
    assert granted == [[{"Ref": "AnalyzeFramesStateMachine"}, {"Ref": "EnrollFaceStateMachine"}]]
