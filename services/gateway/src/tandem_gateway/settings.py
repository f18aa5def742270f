"""Gateway settings (env prefix ``GATEWAY_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tandem_kit.settings import AuthSettings


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    customer_url: str = "http://127.0.0.1:8001"
    sales_url: str = "http://127.0.0.1:8002"
    supplier_url: str = "http://127.0.0.1:8003"
    procurement_url: str = "http://127.0.0.1:8004"
    upstream_timeout_s: float = Field(default=10.0, gt=0, le=120)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: str = "INFO"
    log_json: bool = True
    auth: AuthSettings = Field(default_factory=AuthSettings)

    def service_urls(self) -> dict[str, str]:
        return {
            "customer": self.customer_url,
            "sales": self.sales_url,
            "supplier": self.supplier_url,
            "procurement": self.procurement_url,
        }
