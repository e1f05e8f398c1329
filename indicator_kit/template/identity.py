"""What a template says about itself, so a returned file is identified by content.

The identity is written in four places (custom document properties, a very-hidden metadata
sheet, a hidden key column, a visible line) because each program an agency may use drops a
different one: LibreOffice demotes very-hidden sheets, some tools drop custom properties, a
clerk may copy rows into a new file.
"""

from __future__ import annotations

from dataclasses import dataclass

from indicator_kit.secret import key_id, sign

PROPERTY_PREFIX = "ik."


@dataclass(frozen=True)
class TemplateIdentity:
    campaign_id: str
    agency: str
    spec_hash: str
    template_version: str
    token: str = ""  # HMAC of the fields above with the office's key (indicator_kit.secret)
    key_id: str = ""  # fingerprint of that key: "signed with another key" is not "forged"

    def as_properties(self) -> dict[str, str]:
        props = {
            f"{PROPERTY_PREFIX}campaign": self.campaign_id,
            f"{PROPERTY_PREFIX}agency": self.agency,
            f"{PROPERTY_PREFIX}spec_hash": self.spec_hash,
            f"{PROPERTY_PREFIX}template_version": self.template_version,
        }
        if self.token:
            props[f"{PROPERTY_PREFIX}token"] = self.token
        if self.key_id:
            props[f"{PROPERTY_PREFIX}key_id"] = self.key_id
        return props

    def signed(self) -> TemplateIdentity:
        return TemplateIdentity(
            self.campaign_id,
            self.agency,
            self.spec_hash,
            self.template_version,
            sign(self.campaign_id, self.agency, self.spec_hash, self.template_version),
            key_id(),
        )

    def verifies(self) -> bool:
        return bool(self.token) and self.signed().token == self.token

    @classmethod
    def from_properties(cls, props: dict[str, object]) -> TemplateIdentity | None:
        def get(name: str) -> str | None:
            value = props.get(f"{PROPERTY_PREFIX}{name}")
            if value is None:
                return None
            # LibreOffice turns whole numbers into floats on the way through (7 → 7.0).
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return str(value)

        fields = [get(n) for n in ("campaign", "agency", "spec_hash", "template_version")]
        if any(f is None for f in fields):
            return None
        return cls(*fields, token=get("token") or "", key_id=get("key_id") or "")  # type: ignore[arg-type]

    def visible_line(self) -> str:
        return (
            f"Mã nhận dạng biểu (không sửa): {self.campaign_id} | {self.agency} | "
            f"mẫu {self.template_version} | danh mục {self.spec_hash}"
        )
