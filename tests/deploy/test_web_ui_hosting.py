"""The web UI on AWS (issue 12, item 1): a private bucket that only the stack's CloudFront
distribution may read, the API's allowed origin set to that distribution, and `make deploy`'s upload
of webui/ with a config.js that carries the API's address and never a key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from framewatch.aws import clients
from framewatch.embedded.deployer import Deployer
from framewatch.embedded.template import translate
from framewatch.ops import webui

DISTRIBUTION_ARN = "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${UiDistribution}"
API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"


def test_the_translated_template_has_a_private_ui_bucket_behind_cloudfront_with_oac() -> None:
    resources = translate()["Resources"]
    bucket = resources["UiBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "WebsiteConfiguration" not in bucket  # not a public website endpoint
    oac = resources["UiOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")
    config = resources["UiDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["UiBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["UiOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy OAI
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"

    statements = resources["UiBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "CloudFrontReadsThroughOriginAccessControl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${UiBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {"Fn::Sub": DISTRIBUTION_ARN},
                }
            },
        }
    ]


ORIGIN = {
    "Fn::If": [
        "HasAllowedOrigin",
        {"Ref": "AllowedOrigin"},
        {
            "Fn::If": [
                "CreateWebUi",
                {"Fn::Sub": "https://${UiDistribution.DomainName}"},
                "http://127.0.0.1:8080",
            ]
        },
    ]
}


def _resolve_origin(parameters: dict[str, str]) -> str:
    deployer = Deployer(translate(parameters=parameters), "fw", "eu-west-1", parameters)
    deployer.out.attrs["UiDistribution"] = {"DomainName": "d111.cloudfront.net"}
    return str(deployer.resolve(ORIGIN))


def test_the_api_and_media_bucket_allow_the_distribution_origin_by_default() -> None:
    template = json.dumps(translate()["Resources"])
    # Every place that names the browser origin uses the one expression: the function's
    # ALLOWED_ORIGIN, the media bucket's CORS, API Gateway's CORS and its 4XX/5XX answers.
    assert template.count(json.dumps(ORIGIN)) >= 5
    assert '"Ref": "AllowedOrigin"}' not in template.replace(json.dumps(ORIGIN), "")
    assert "${AllowedOrigin}" not in template
    assert _resolve_origin({}) == "https://d111.cloudfront.net"
    assert _resolve_origin({"AllowedOrigin": "https://ui.example.org"}) == "https://ui.example.org"
    assert _resolve_origin({"DeployWebUi": "false"}) == "http://127.0.0.1:8080"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        clients.reset()
        boto3.client("s3").create_bucket(Bucket="fw-ui")
        distribution = boto3.client("cloudfront").create_distribution(
            DistributionConfig={
                "CallerReference": "fw",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "ui",
                            "DomainName": "fw-ui.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {"TargetOriginId": "ui", "ViewerProtocolPolicy": "redirect-to-https"},
            }
        )["Distribution"]
        yield {
            "ApiUrl": API_URL,
            "WebUiBucketName": "fw-ui",
            "WebUiDistributionId": distribution["Id"],
            "WebUiUrl": f"https://{distribution['DomainName']}/",
        }
    clients.reset()


def test_deploy_uploads_the_ui_with_a_config_js_from_the_outputs_and_invalidates(aws: dict[str, str]) -> None:
    url = webui.publish(aws)
    assert url == aws["WebUiUrl"]
    s3 = boto3.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="fw-ui")["Contents"]}
    assert {"index.html", "common.js", "executions.html", "config.js"} <= keys
    config = s3.get_object(Bucket="fw-ui", Key="config.js")
    text = config["Body"].read().decode()
    assert text == f'window.FRAMEWATCH = {{"apiBase": "{API_URL}/api"}};\n'
    assert "key" not in text.lower()  # the page asks for the key; no public file carries it
    assert config["ContentType"].startswith("text/javascript") and config["CacheControl"] == "no-cache"
    page = s3.get_object(Bucket="fw-ui", Key="index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    invalidations = boto3.client("cloudfront").list_invalidations(DistributionId=aws["WebUiDistributionId"])
    assert invalidations["InvalidationList"]["Quantity"] == 1


def test_a_stack_without_the_ui_outputs_says_what_to_do(aws: dict[str, Any]) -> None:
    from framewatch.errors import UserError

    with pytest.raises(UserError, match="no WebUiBucketName, WebUiDistributionId, WebUiUrl output; deploy"):
        webui.publish({"ApiUrl": API_URL})


def test_cloudfront_sends_the_local_servers_content_security_policy_https_only() -> None:
    from framewatch.api.local_server import CSP

    policy = translate()["Resources"]["UiResponseHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    headers = policy["SecurityHeadersConfig"]
    aws_csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert aws_csp == CSP.replace(" http:", "")  # same rules; plain http only exists locally
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    distribution = translate()["Resources"]["UiDistribution"]["Properties"]["DistributionConfig"]
    assert distribution["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "UiResponseHeaders"}
