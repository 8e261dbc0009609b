"""Import of AWS API Gateway OpenAPI 3 / Swagger 2 exports (x-amazon-apigateway-* extensions).

document.py reads the document (operations, schemes, API facts); bindings.py maps ARNs and URIs to
local targets; authorizers.py and integrations.py map one scheme / integration to its native config;
convert.py assembles the native config dict; hook.py is what `config/load.py` calls.
"""
