"""Serve a SAM or CloudFormation template (or a CDK app's synthesized output) as it is.

decode.py reads the template (cfn-lint's decoder: YAML short-form tags, JSON, duplicate keys refused with
both lines); parameters.py and intrinsics.py resolve `--parameter-overrides`, defaults, conditions and
the intrinsic functions; sam.py expands `AWS::Serverless-2016-10-31` with aws-sam-translator; functions.py,
pools.py and apis.py turn the resources into the native config the gateway serves (a REST or HTTP API's
OpenAPI `Body` goes through the OpenAPI import, openapi/convert.py); fates.py lists what happened to
every resource; hook.py is what `config/load.py` calls. Documented in docs/templates.md.
"""
