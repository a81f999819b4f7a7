"""Provider credentials of a mobile app configuration: input models, validation on save, metadata, secrets.

Typical use by the operator API when an app configuration is saved::

    body = parse_mobile_app_credentials(raw_json)          # inputs; raises InvalidRequestError
    metadata = validate_mobile_app_credentials(body.ios, body.android)  # validation; every problem at once
    ios_secret = body.ios.to_secret() if body.ios else None   # for Secrets Manager: to_secret_string()

Metadata is safe to store in DynamoDB and to return; secrets only ever leave their models through
``to_secret_string()``. Nothing here performs I/O. Import each name from its own module
(:mod:`~pushgate.credentials.inputs`, :mod:`~pushgate.credentials.metadata`,
:mod:`~pushgate.credentials.secret_models`, :mod:`~pushgate.credentials.validation`, ...): this
package imports nothing, so only the functions that validate credentials load cryptography's
X.509 and PKCS#12 code (through :mod:`~pushgate.credentials.validation`).
"""
