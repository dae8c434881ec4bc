"""How a badge page is shared: LinkedIn's "Add to profile" link and a QR code of the page's URL.

The LinkedIn link is the certification form of LinkedIn's add-to-profile URL: the achievement's name,
the organization (``organizationId`` when the issuer set its LinkedIn organization id, otherwise
``organizationName``), issue and expiry year/month, the credential id and its URL. The QR code is
drawn as inline SVG (``qrcode`` computes the modules; no image file, no script, nothing inline
that a strict Content-Security-Policy would refuse).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import qrcode
import qrcode.constants
from markupsafe import Markup

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
QUIET_ZONE = 4


def _year_month(moment: str | None) -> tuple[int, int] | None:
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return parsed.year, parsed.month


def linkedin_url(
    *,
    name: str,
    organization_name: str,
    organization_id: str | None,
    issued: str | None,
    expires: str | None,
    credential_id: str,
    credential_url: str,
) -> str:
    """LinkedIn's add-to-profile URL for this certification."""
    params: list[tuple[str, str]] = [("startTask", "CERTIFICATION_NAME"), ("name", name)]
    if organization_id:
        params.append(("organizationId", organization_id))
    else:
        params.append(("organizationName", organization_name))
    for prefix, moment in (("issue", issued), ("expiration", expires)):
        when = _year_month(moment)
        if when is not None:
            params += [(f"{prefix}Year", str(when[0])), (f"{prefix}Month", str(when[1]))]
    params += [("certUrl", credential_url), ("certId", credential_id)]
    return f"{LINKEDIN_ADD}?{urlencode(params)}"


def qr_svg(text: str, *, title: str) -> Markup:
    """An SVG QR code of ``text`` (error correction M), one path of unit squares, with a title.

    The result is markup to embed as is: ``title`` is escaped into it, and ``text`` is not in it.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()  # includes the quiet zone
    size = len(matrix)
    squares = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    template = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="qr" '
        'role="img" aria-labelledby="qr-title" shape-rendering="crispEdges">'
        '<title id="qr-title">{title}</title>'
        '<rect width="{size}" height="{size}" fill="#fff"/><path d="{squares}" fill="#000"/></svg>'
    )
    return template.format(size=size, title=title, squares=squares)  # format escapes each value
