"""Creates the resources of the translated template through the AWS APIs of the emulator.

moto's own CloudFormation drops EXPRESS, DefinitionSubstitutions and more, so this is a small
CloudFormation of our own: it resolves the intrinsic functions the template uses and calls the same
APIs CloudFormation would. Every resource type in the template has a creator here or a stated reason
why it is served another way; an unknown type fails loudly rather than being skipped.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from framewatch.aws.clients import client
from framewatch.errors import UserError

ACCOUNT_ID = "123456789012"

# Every resource type the embedded stack can stand up; the order breaks ties between independent ones.
NO_VALUE: Any = object()  # Ref AWS::NoValue: removes the property it is the value of

_ORDER = [
    "AWS::IAM::Role",
    "AWS::Kinesis::Stream",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::DynamoDB::Table",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::SQS::Queue",
    "AWS::Logs::LogGroup",
    "AWS::Rekognition::Collection",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::StepFunctions::StateMachine",
    "AWS::Events::Rule",
    "AWS::Pipes::Pipe",
    "AWS::CloudWatch::Alarm",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::Distribution",
]

# Served by another part of the embedded stack, not created in the emulator.
SERVED_LOCALLY = {
    "AWS::ApiGateway::RestApi": "the local API adapter (framewatch.api.local_server) serves the same routes",
    "AWS::ApiGateway::Deployment": "the local API adapter serves the API directly",
    "AWS::ApiGateway::Stage": "the local API adapter serves the API directly",
    "AWS::ApiGateway::UsagePlan": "the local API adapter checks the API key itself",
    "AWS::ApiGateway::UsagePlanKey": "the local API adapter checks the API key itself",
    "AWS::ApiGateway::ApiKey": "the local API adapter generates a key at start",
    "AWS::Lambda::Permission": "the local runtime invokes handlers; there is no resource policy to check",
    "AWS::Lambda::LayerVersion": "the shared package is importable from the project's virtualenv",
    "AWS::CloudFront::OriginAccessControl": "the local API adapter serves webui/ itself",
    "AWS::CloudFront::ResponseHeadersPolicy": "the local API adapter sends the same headers itself",
    "AWS::CloudFront::Distribution": "the local API adapter serves webui/ itself",
}
# Attributes other resources read from a locally served one (GetAtt / Sub).
_LOCAL_ATTRS = {
    "AWS::CloudFront::Distribution": {"DomainName": "webui.local.invalid"},
    "AWS::CloudFront::OriginAccessControl": {"Id": "local-oac"},
}


@dataclass
class Deployed:
    """What was created: physical ids and attributes by logical id, plus each function's code."""

    stack_name: str
    region: str
    parameters: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)  # function name → props
    pipes: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id → resolved props
    # logical id → resolved DefinitionSubstitutions (a live edit of the ASL file is resolved the same way)
    substitutions: dict[str, dict[str, str]] = field(default_factory=dict)
    served_locally: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    # rule name → (ScheduleExpression, target ARNs): the emulator keeps scheduled rules but never fires them
    schedules: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def physical(self, logical_id: str) -> str:
        return self.refs[logical_id]

    def by_type(self, kind: str) -> dict[str, str]:
        return {lid: self.refs[lid] for lid, t in self.types.items() if t == kind and lid in self.refs}


class Deployer:
    def __init__(
        self, template: dict[str, Any], stack_name: str, region: str, parameters: dict[str, Any] | None = None
    ) -> None:
        self.template = template
        self.resources: dict[str, Any] = template.get("Resources", {})
        values = {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}
        values.update(parameters or {})
        missing = [name for name, value in values.items() if value is None]
        if missing:
            raise UserError(f"template parameters without a value: {', '.join(missing)}")
        self.out = Deployed(stack_name=stack_name, region=region, parameters=values)
        self.conditions: dict[str, bool] = {}

    # ------------------------------------------------------------------ intrinsics
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._intrinsics().get(key)
            if handler:
                return handler(arg)
        # As CloudFormation does, a property whose value is AWS::NoValue is left out altogether.
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not NO_VALUE}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda a: self.resolve(a[0]).join(str(self.resolve(x)) for x in self.resolve(a[1])),
            "Fn::If": lambda a: self.resolve(a[1] if self._condition(a[0]) else a[2]),
            "Fn::Equals": lambda a: self.resolve(a[0]) == self.resolve(a[1]),
            "Fn::Not": lambda a: not self.resolve(a[0]),
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
            "Condition": self._condition,
        }

    def _pseudo(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.out.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.out.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
            "AWS::StackId": f"arn:aws:cloudformation:{self.out.region}:{ACCOUNT_ID}:stack/"
            f"{self.out.stack_name}/local",
        }

    def _ref(self, name: str) -> Any:
        pseudo = self._pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.out.parameters:
            return str(self.out.parameters[name])
        if name in self.out.refs:
            return self.out.refs[name]
        raise UserError(f"template: Ref to {name}, which is not created yet or does not exist")

    def _get_att(self, arg: Any) -> str:
        logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        try:
            return self.out.attrs[logical][attribute]
        except KeyError:
            raise UserError(f"template: GetAtt {logical}.{attribute} is not available") from None

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self._get_att(name)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _condition(self, name: str) -> bool:
        if name not in self.conditions:
            spec = self.template.get("Conditions", {}).get(name)
            if spec is None:
                raise UserError(f"template: unknown condition {name}")
            self.conditions[name] = bool(self.resolve(spec))
        return self.conditions[name]

    # ------------------------------------------------------------------ deploy
    def deploy(self) -> Deployed:
        unknown = {r["Type"] for r in self.resources.values()} - set(_ORDER)
        if unknown:
            raise UserError(
                f"the embedded stack cannot create {', '.join(sorted(unknown))}; "
                "add a creator in framewatch/embedded/deployer.py"
            )
        for logical in self._creation_order():
            resource = self.resources[logical]
            kind = resource["Type"]
            if "Condition" in resource and not self._condition(resource["Condition"]):
                continue
            self.out.types[logical] = kind
            if kind in SERVED_LOCALLY:
                self.out.served_locally[logical] = SERVED_LOCALLY[kind]
                self.out.refs[logical] = f"local-{logical}"
                self.out.attrs[logical] = {"Arn": f"arn:aws:local:::{logical}", **_LOCAL_ATTRS.get(kind, {})}
                continue
            props = self.resolve(resource.get("Properties", {}))
            creator = getattr(self, "_create_" + kind.split("::", 1)[1].replace("::", "_"))
            creator(logical, props)
        for name, spec in self.template.get("Outputs", {}).items():
            if "Condition" in spec and not self._condition(spec["Condition"]):
                continue
            self.out.outputs[name] = str(self.resolve(spec["Value"]))
        return self.out

    def _creation_order(self) -> list[str]:
        """Resources after everything they refer to (Ref, GetAtt, Sub), like CloudFormation."""
        depends = {
            lid: self._references(res) & set(self.resources) - {lid} for lid, res in self.resources.items()
        }
        order: list[str] = []
        ready = sorted((lid for lid, deps in depends.items() if not deps), key=self._rank)
        while ready:
            current = ready.pop(0)
            order.append(current)
            for lid, deps in depends.items():
                if current in deps:
                    deps.discard(current)
                    if not deps and lid not in order and lid not in ready:
                        ready.append(lid)
            ready.sort(key=self._rank)
        cyclic = sorted(set(self.resources) - set(order))
        if cyclic:
            raise UserError(f"template: circular references between {', '.join(cyclic)}")
        return order

    def _rank(self, logical: str) -> tuple[int, str]:
        return (_ORDER.index(self.resources[logical]["Type"]), logical)

    def _references(self, value: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(value, list):
            for item in value:
                found |= self._references(item)
        elif isinstance(value, dict):
            for key, arg in value.items():
                if key == "Ref" and isinstance(arg, str):
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    found.add(arg[0] if isinstance(arg, list) else arg.split(".", 1)[0])
                elif key == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    found |= {m.split(".", 1)[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                    if isinstance(arg, list):
                        found |= self._references(arg[1])
                elif key == "DependsOn":
                    found |= {arg} if isinstance(arg, str) else set(arg)
                else:
                    found |= self._references(arg)
        return found

    def _name(self, logical: str, given: str | None, limit: int = 64) -> str:
        return given or f"{self.out.stack_name}-{logical}"[:limit]

    def _arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.out.region if region else ''}:{ACCOUNT_ID}:{resource}"

    def _set(self, logical: str, ref: str, **attrs: str) -> None:
        self.out.refs[logical] = ref
        self.out.attrs[logical] = attrs

    # one creator per resource type ---------------------------------------------
    def _create_IAM_Role(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("RoleName"))
        iam = client("iam")
        role = iam.create_role(
            RoleName=name,
            Path=props.get("Path", "/"),
            AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
        )
        for policy in props.get("Policies", []):
            # SAM's policy templates omit Version; IAM then assumes 2012-10-17, moto insists on it.
            document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )
        # AWS-managed policies are not loaded in the emulator; their ARNs stay on the template.
        self._set(logical, name, Arn=role["Role"]["Arn"], RoleId=role["Role"]["RoleId"])

    def _create_Kinesis_Stream(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("Name"))
        kinesis = client("kinesis")
        kinesis.create_stream(StreamName=name, ShardCount=int(props.get("ShardCount", 1)))
        if "RetentionPeriodHours" in props and int(props["RetentionPeriodHours"]) > 24:
            kinesis.increase_stream_retention_period(
                StreamName=name, RetentionPeriodHours=int(props["RetentionPeriodHours"])
            )
        encryption = props.get("StreamEncryption")
        if encryption:
            kinesis.start_stream_encryption(
                StreamName=name, EncryptionType=encryption["EncryptionType"], KeyId=encryption["KeyId"]
            )
        self._set(logical, name, Arn=self._arn("kinesis", f"stream/{name}"))

    def _create_S3_Bucket(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("BucketName"), 63).lower()
        s3 = client("s3")
        if self.out.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.out.region})
        if "BucketEncryption" in props:
            rules = [
                {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if "LifecycleConfiguration" in props:
            rules = [
                {
                    "ID": r["Id"],
                    "Status": r["Status"],
                    "Filter": {"Prefix": r.get("Prefix", "")},
                    "Expiration": {"Days": int(r["ExpirationInDays"])},
                }
                for r in props["LifecycleConfiguration"]["Rules"]
            ]
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "CorsConfiguration" in props:
            cors = [
                {
                    "AllowedMethods": r["AllowedMethods"],
                    "AllowedOrigins": r["AllowedOrigins"],
                    "AllowedHeaders": r.get("AllowedHeaders", []),
                    "MaxAgeSeconds": int(r.get("MaxAge", 0)),
                }
                for r in props["CorsConfiguration"]["CorsRules"]
            ]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors})
        notifications = props.get("NotificationConfiguration", {})
        if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        self._set(logical, name, Arn=f"arn:aws:s3:::{name}", DomainName=f"{name}.s3.amazonaws.com")

    def _create_S3_BucketPolicy(self, logical: str, props: dict[str, Any]) -> None:
        # The emulator listens on plain HTTP on loopback, where a TLS-only statement would deny all.
        document = dict(props["PolicyDocument"])
        document["Statement"] = [
            st
            for st in document.get("Statement", [])
            if "aws:SecureTransport" not in json.dumps(st.get("Condition", {}))
        ]
        if document["Statement"]:
            client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(document))
        self._set(logical, props["Bucket"])

    def _create_DynamoDB_Table(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("TableName"), 255)
        dynamodb = client("dynamodb")
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("SSESpecification", {}).get("SSEEnabled"):
            request["SSESpecification"] = {"Enabled": True}
        table = dynamodb.create_table(**request)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        self._set(logical, name, Arn=table["TableArn"], StreamArn=table.get("LatestStreamArn", ""))

    def _create_SNS_Topic(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("TopicName"), 256)
        attributes = {"KmsMasterKeyId": props["KmsMasterKeyId"]} if "KmsMasterKeyId" in props else {}
        arn = client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        self._set(logical, arn, TopicArn=arn, TopicName=name)

    def _create_SNS_Subscription(self, logical: str, props: dict[str, Any]) -> None:
        arn = client("sns").subscribe(
            TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"]
        )["SubscriptionArn"]
        self._set(logical, arn)

    def _create_SQS_Queue(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("QueueName"), 80)
        attributes = {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in ("MessageRetentionPeriod", "SqsManagedSseEnabled", "VisibilityTimeout")
            if key in props
        }
        url = client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self._set(logical, url, Arn=self._arn("sqs", name), QueueName=name, QueueUrl=url)

    def _create_Logs_LogGroup(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("LogGroupName"), 512)
        logs = client("logs")
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in props:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        self._set(logical, name, Arn=self._arn("logs", f"log-group:{name}:*"))

    def _create_Rekognition_Collection(self, logical: str, props: dict[str, Any]) -> None:
        rekognition = client("rekognition")
        collection = props["CollectionId"]
        # The vision service keeps collections across restarts, as AWS does.
        with contextlib.suppress(rekognition.exceptions.ResourceAlreadyExistsException):
            rekognition.create_collection(CollectionId=collection)
        self._set(logical, collection, Arn=self._arn("rekognition", f"collection/{collection}"))

    def _create_Lambda_Function(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("FunctionName"))
        # The emulator wants a zip; the runtime runs the code from the folder the template names.
        placeholder = io.BytesIO()
        with zipfile.ZipFile(placeholder, "w") as archive:
            archive.writestr("README.txt", "code runs in worker processes from the project tree")
        environment = props.get("Environment", {}).get("Variables", {})
        function = client("lambda").create_function(
            FunctionName=name,
            Runtime=props["Runtime"],
            Role=props["Role"],
            Handler=props["Handler"],
            Code={"ZipFile": placeholder.getvalue()},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={"Variables": {k: str(v) for k, v in environment.items()}},
        )
        self.out.functions[name] = {**props, "FunctionName": name, "LogicalId": logical}
        self._set(logical, name, Arn=function["FunctionArn"])

    def _create_StepFunctions_StateMachine(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("StateMachineName"), 80)
        definition = props["DefinitionString"]
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        left = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition)))
        if left:
            raise UserError(
                f"state machine {logical}: no substitution for {', '.join(left)}; "
                "add them to DefinitionSubstitutions in template.yaml"
            )
        request: dict[str, Any] = {
            "name": name,
            "definition": definition,
            "roleArn": props["RoleArn"],
            "type": props.get("StateMachineType", "STANDARD"),
        }
        logging_config = props.get("LoggingConfiguration")
        if logging_config:  # where the history goes: the embedded stack writes it there (execution_logs)
            request["loggingConfiguration"] = {
                "level": logging_config.get("Level", "OFF"),
                "includeExecutionData": bool(logging_config.get("IncludeExecutionData", False)),
                "destinations": [
                    {"cloudWatchLogsLogGroup": {"logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
                    for d in logging_config.get("Destinations", [])
                    if "CloudWatchLogsLogGroup" in d
                ],
            }
        arn = client("stepfunctions").create_state_machine(**request)["stateMachineArn"]
        self.out.substitutions[logical] = {
            str(k): str(v) for k, v in props.get("DefinitionSubstitutions", {}).items()
        }
        self._set(logical, arn, Arn=arn, Name=name)

    def _create_Events_Rule(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("Name"))
        events = client("events")
        trigger = (
            {"ScheduleExpression": props["ScheduleExpression"]}
            if "ScheduleExpression" in props
            else {"EventPattern": json.dumps(props["EventPattern"])}
        )
        arn = events.put_rule(Name=name, State=props.get("State", "ENABLED"), **trigger)["RuleArn"]
        targets = [
            {
                k: v
                for k, v in t.items()
                if k in ("Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer")
            }
            for t in props.get("Targets", [])
        ]
        if targets:
            events.put_targets(Rule=name, Targets=targets)
        if "ScheduleExpression" in props and props.get("State", "ENABLED") == "ENABLED":
            self.out.schedules[name] = (props["ScheduleExpression"], [str(t["Arn"]) for t in targets])
        self._set(logical, name, Arn=arn)

    def _create_Pipes_Pipe(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("Name"))
        request = {
            k: props[k]
            for k in ("Source", "SourceParameters", "Enrichment", "Target", "TargetParameters", "RoleArn")
            if k in props
        }
        pipe = client("pipes").create_pipe(Name=name, DesiredState="RUNNING", **request)
        self.out.pipes[logical] = {**props, "Name": name}
        self._set(logical, name, Arn=pipe["Arn"])

    def _create_CloudWatch_Alarm(self, logical: str, props: dict[str, Any]) -> None:
        name = self._name(logical, props.get("AlarmName"), 255)
        client("cloudwatch").put_metric_alarm(
            AlarmName=name,
            AlarmDescription=props.get("AlarmDescription", ""),
            Namespace=props["Namespace"],
            MetricName=props["MetricName"],
            Dimensions=props.get("Dimensions", []),
            Statistic=props["Statistic"],
            Period=int(props["Period"]),
            EvaluationPeriods=int(props["EvaluationPeriods"]),
            Threshold=float(props["Threshold"]),
            ComparisonOperator=props["ComparisonOperator"],
            AlarmActions=props.get("AlarmActions", []),
        )
        self._set(logical, name, Arn=self._arn("cloudwatch", f"alarm:{name}"))
