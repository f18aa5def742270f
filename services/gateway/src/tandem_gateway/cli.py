"""`tandem-gateway` serves the gateway."""

from __future__ import annotations

import gc

import uvicorn

from tandem_gateway.main import create_app
from tandem_gateway.settings import GatewaySettings
from tandem_kit.logs import configure_logging


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    app = create_app(settings)
    # As the services' processes do (tandem_kit.runtime.freeze_once_started): the garbage
    # collector's full collections no longer walk what start-up built.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
