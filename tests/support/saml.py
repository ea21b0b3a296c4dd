"""A minimal SAML service provider for tests, with the standard library only (plus
`cryptography` for keys): an AuthnRequest over the HTTP-Redirect binding (optionally
signed), the real Keycloak login form, and the SAMLResponse it posts back."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"


@dataclass(frozen=True)
class KeyPair:
    """An RSA key and a self-signed certificate for it."""

    key: rsa.RSAPrivateKey
    certificate_pem: str

    @property
    def certificate_body(self) -> str:
        """The certificate as Keycloak stores it: base64 DER on one line."""
        lines = self.certificate_pem.strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def key_pair(common_name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert.public_bytes(serialization.Encoding.PEM).decode())


@dataclass
class _Form:
    action: str
    inputs: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(_Form(values.get("action", "")))
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1].inputs[values["name"]] = values.get("value", "")


def forms(html: str) -> list[_Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def authn_request(entity_id: str, acs_url: str, destination: str) -> str:
    instant = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'<samlp:AuthnRequest xmlns:samlp="{NS["samlp"]}" xmlns:saml="{NS["saml"]}" '
        f'ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{instant}" '
        f'Destination="{destination}" AssertionConsumerServiceURL="{acs_url}" '
        'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
        f"<saml:Issuer>{entity_id}</saml:Issuer></samlp:AuthnRequest>"
    )


def redirect_url(sso_url: str, request_xml: str, signer: KeyPair | None = None) -> str:
    """The HTTP-Redirect binding: raw DEFLATE, base64, URL-encoded; signed over the
    encoded query string when `signer` is given."""
    compressor = zlib.compressobj(wbits=-15)
    deflated = compressor.compress(request_xml.encode()) + compressor.flush()
    query = "SAMLRequest=" + quote(base64.b64encode(deflated).decode(), safe="")
    if signer is not None:
        query += "&SigAlg=" + quote(RSA_SHA256, safe="")
        signature = base64.b64encode(signer.sign(query.encode())).decode()
        query += "&Signature=" + quote(signature, safe="")
    return f"{sso_url}?{query}"


@dataclass(frozen=True)
class SamlLogin:
    """What the browser got back: the status and page of the first answer, and the
    auto-post form (action, decoded SAMLResponse) when the login went through."""

    status: int
    page: str
    action: str | None = None
    response: ET.Element | None = None


def _plain_http_cookies(browser: requests.Session) -> None:
    # Keycloak marks its login cookies Secure (SameSite=None); the test Keycloak is
    # plain http on 127.0.0.1, where a browser sends them anyway (localhost is a
    # secure context) but requests does not.
    for cookie in browser.cookies:
        cookie.secure = False


def log_in(url: str, username: str, password: str) -> SamlLogin:
    """Follow the AuthnRequest at `url` through Keycloak's login form like a browser."""
    with requests.Session() as browser:
        first = browser.get(url, timeout=30)
        _plain_http_cookies(browser)
        login = next((f for f in forms(first.text) if "login-actions" in f.action), None)
        if first.status_code != 200 or login is None:
            return SamlLogin(first.status_code, first.text)
        answer = browser.post(
            login.action,
            data={**login.inputs, "username": username, "password": password},
            timeout=30,
        )
        posted = next((f for f in forms(answer.text) if "SAMLResponse" in f.inputs), None)
        if posted is None:
            return SamlLogin(answer.status_code, answer.text)
        xml = base64.b64decode(posted.inputs["SAMLResponse"])
        # The test's own Keycloak answered: no untrusted XML here.
        document = ET.fromstring(xml)  # noqa: S314
        return SamlLogin(answer.status_code, answer.text, posted.action, document)


def signature_of(element: ET.Element) -> ET.Element | None:
    """The element's own enveloped ds:Signature (a direct child), if signed."""
    return element.find("ds:Signature", NS)


def signature_algorithm(signature: ET.Element) -> str:
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
    assert method is not None
    return method.get("Algorithm", "")


def error_text(page: str) -> str:
    """The message of a Keycloak error page (for assertion messages)."""
    import re

    found = re.search(r'class="[^"]*(?:kc-feedback-text|instruction)[^"]*"[^>]*>([^<]+)<', page)
    return found.group(1).strip() if found else page[:300]
