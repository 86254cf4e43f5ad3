#!/usr/bin/env python3
"""Create extra IAM users in a running (already seeded) moto_server for the differential suite.

Usage: diff_setup.py URL NAME...

Each NAME becomes an IAM user with an access key in moto's default account (123456789012), so
every credential source of a case can carry its own identity (arn ...:user/NAME). Prints one
JSON object {NAME: {access_key_id, secret_access_key, account, arn, user_id}}. Only the given
(loopback) endpoint is contacted.
"""

import json
import os
import sys

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in list(os.environ):
    if _var.startswith("AWS_"):
        os.environ.pop(_var)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import boto3  # noqa: E402

SETUP_KEY = "AKIAIOSFODNN7EXAMPLE"
SETUP_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def client(service, url, key, secret):
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: diff_setup.py URL NAME...\n")
        return 2
    url = sys.argv[1]
    iam = client("iam", url, SETUP_KEY, SETUP_SECRET)
    out = {}
    for name in sys.argv[2:]:
        iam.create_user(UserName=name)
        ak = iam.create_access_key(UserName=name)["AccessKey"]
        ident = client(
            "sts", url, ak["AccessKeyId"], ak["SecretAccessKey"]
        ).get_caller_identity()
        out[name] = {
            "access_key_id": ak["AccessKeyId"],
            "secret_access_key": ak["SecretAccessKey"],
            "account": ident["Account"],
            "arn": ident["Arn"],
            "user_id": ident["UserId"],
        }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
