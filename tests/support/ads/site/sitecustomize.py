"""Loaded by ADS's Python in the tests: every Object Storage client that ADS creates (its
client factory, its multipart uploader, ocifs) talks to the test server. ADS has no
endpoint setting; the SDK's clients all accept `service_endpoint`."""

import os

_endpoint = os.environ.get("ADS_TEST_OS_ENDPOINT")
if _endpoint:
    import oci.base_client

    _original_init = oci.base_client.BaseClient.__init__

    def _init(self, service, config, signer, type_mapping, **kwargs):
        if service == "object_storage":
            kwargs["service_endpoint"] = _endpoint
        _original_init(self, service, config, signer, type_mapping, **kwargs)

    oci.base_client.BaseClient.__init__ = _init
