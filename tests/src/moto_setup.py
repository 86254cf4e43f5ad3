#!/usr/bin/env python3
"""Seed a running moto_server with the identities the awsid tests use.

Usage: moto_setup.py URL

Creates
  * alice: an IAM user with an access key in moto's default account
    (123456789012);
  * bob: an IAM user with an access key in account 222222222222, created with
    temporary credentials from assume_role into that account, plus a role
    "admin" with an allow-all trust policy in the same account.

Each new key is verified with sts.get_caller_identity; the Account/Arn/UserId
printed are the ones moto answered with. Output is a single JSON object on
stdout: {"alice": {...}, "bob": {...}} with the fields access_key_id,
secret_access_key, account, arn, user_id.

Only the given (loopback) endpoint is ever contacted.
"""

import json
import os
import sys

# Never let botocore wander off to the instance metadata service or pick up
# the developer's real profile/credentials.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
):
    os.environ.pop(_var, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402

REGION = "us-east-1"
SETUP_KEY = "AKIAIOSFODNN7EXAMPLE"
SETUP_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BOB_ACCOUNT = "222222222222"

TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def client(service, url, key, secret, token=None):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def verified(url, key, secret):
    ident = client("sts", url, key, secret).get_caller_identity()
    return {
        "access_key_id": key,
        "secret_access_key": secret,
        "account": ident["Account"],
        "arn": ident["Arn"],
        "user_id": ident["UserId"],
    }


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: moto_setup.py URL\n")
        return 2
    url = sys.argv[1]

    # alice, default account.
    iam = client("iam", url, SETUP_KEY, SETUP_SECRET)
    iam.create_user(UserName="alice")
    ak = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = verified(url, ak["AccessKeyId"], ak["SecretAccessKey"])

    # bob, second account: everything done with credentials of that account.
    sts = client("sts", url, SETUP_KEY, SETUP_SECRET)
    creds = sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/setup" % BOB_ACCOUNT,
        RoleSessionName="setup",
    )["Credentials"]
    iam2 = client(
        "iam",
        url,
        creds["AccessKeyId"],
        creds["SecretAccessKey"],
        creds["SessionToken"],
    )
    iam2.create_user(UserName="bob")
    bk = iam2.create_access_key(UserName="bob")["AccessKey"]
    iam2.create_role(RoleName="admin", AssumeRolePolicyDocument=TRUST_POLICY)
    bob = verified(url, bk["AccessKeyId"], bk["SecretAccessKey"])

    json.dump({"alice": alice, "bob": bob}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
