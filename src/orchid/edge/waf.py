"""ModSecurity v3 with the OWASP Core Rule Set 3.3 (Debian packages), configured for the shop.

CRS runs in its default anomaly-scoring mode: each matching rule adds to a score and rule 949110
blocks a request whose inbound score reaches the threshold (5 = one critical match) at paranoia
level 1. Where the shop's own legitimate traffic trips a rule, an exclusion removes that one rule
for that one argument on the paths that carry it — never a whole rule group.
"""

from __future__ import annotations

from pathlib import Path

CRS_RULES = Path("/usr/share/modsecurity-crs/rules")
MODULE_DIRS = (Path("/usr/lib/nginx/modules"), Path("/usr/share/nginx/modules"))
UNICODE_MAPS = (Path("/etc/nginx/unicode.mapping"),
                Path("/usr/share/nginx/docs/modsecurity/unicode.mapping"))
PARANOIA = 1
INBOUND_THRESHOLD = 5
OUTBOUND_THRESHOLD = 4
# The methods and body types the Orchid API uses (CRS allows GET HEAD POST OPTIONS by default).
METHODS = "GET HEAD POST OPTIONS PUT PATCH DELETE"
CONTENT_TYPES = ("|application/x-www-form-urlencoded| |multipart/form-data| |text/xml| "
                 "|application/xml| |application/json| |application/problem+json|")

# Narrow exclusions for the shop's own traffic, each with the request that needed it.
# Ids 1000–1999 (the range CRS leaves to local rules).
EXCLUSIONS = r"""
# The local stack, its probes and benchmarks reach the edge as http://127.0.0.1:PORT. A numeric
# Host header from anywhere else still scores (920350 is a scanner signal on the Internet).
SecRule REQUEST_HEADERS:Host "@rx ^(?:127\.0\.0\.1|\[::1\])(?::[0-9]+)?$" \
    "id:1001,phase:1,pass,nolog,t:none,ctl:ruleRemoveById=920350"

# Hindi text: the nukta in "डिसूज़ा" (U+093C, UTF-8 E0 A4 BC) carries the byte 0xBC, which rule
# 941310 reads as a US-ASCII-encoded "<" (an old Internet Explorer XSS trick). Every page and
# API of the shop is UTF-8, where that byte never stands alone, so this one rule (not its
# group: the other XSS rules still run) would only ever catch Indian names and addresses.
SecRuleRemoveById 941310

# Search text: "kajal; cat eye look" reads as `; cat` to the Unix command injection rule. The
# search service matches q as text and never hands it to a shell; every other rule, including
# the rest of the 932 command-injection group, still inspects q. The storefront's /search page
# takes the same q.
SecRule REQUEST_FILENAME "@rx ^(?:/api/v1)?/search(?:/suggest)?$" \
    "id:1002,phase:1,pass,nolog,t:none,ctl:ruleRemoveTargetById=932100;ARGS:q"

# Address lines: "Flat 3, Union Apartments; Select Citywalk Mall Road" (a Delhi landmark) reads
# as `; Select` to the Windows command and the MySQL statement rules. Address lines are stored
# through bound parameters and printed on labels; the other rules still inspect them.
SecRule REQUEST_FILENAME "@rx ^/api/v1/accounts/me/addresses(?:/[^/]+)?$" \
    "id:1003,phase:1,pass,nolog,t:none,\
    ctl:ruleRemoveTargetById=932115;ARGS:json.line1,\
    ctl:ruleRemoveTargetById=932115;ARGS:json.line2,\
    ctl:ruleRemoveTargetById=942350;ARGS:json.line1,\
    ctl:ruleRemoveTargetById=942350;ARGS:json.line2"

# The same address lines posted by the storefront's address form (urlencoded).
SecRule REQUEST_FILENAME "@rx ^/account/addresses$" \
    "id:1004,phase:1,pass,nolog,t:none,\
    ctl:ruleRemoveTargetById=932115;ARGS:line1,\
    ctl:ruleRemoveTargetById=932115;ARGS:line2,\
    ctl:ruleRemoveTargetById=942350;ARGS:line1,\
    ctl:ruleRemoveTargetById=942350;ARGS:line2"
"""


def find_module() -> Path | None:
    """The ModSecurity nginx module shipped by libnginx-mod-http-modsecurity, if installed."""
    for folder in MODULE_DIRS:
        module = folder / "ngx_http_modsecurity_module.so"
        if module.exists():
            return module
    return None


def _unicode_map() -> str:
    for path in UNICODE_MAPS:
        if path.exists():
            return f"SecUnicodeMapFile {path} 20127"
    return ""


def main_conf(prefix: Path, conf_dir: Path, *, max_body_bytes: int) -> str:
    """The modsecurity_rules_file: engine settings, CRS set-up, CRS rules, our exclusions."""
    temp = prefix / "temp" / "modsecurity"
    return f"""# Rendered by orchid.edge: ModSecurity engine, then CRS at paranoia level {PARANOIA}.
SecRuleEngine On
SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\\+|/)|text/)xml" \\
    "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" \\
    "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRequestBodyLimit {max_body_bytes}
SecRequestBodyNoFilesLimit {max_body_bytes}
SecRequestBodyLimitAction Reject
SecRequestBodyJsonDepthLimit 64
SecArgumentsLimit 1000
SecRule &ARGS "@ge 1000" \\
    "id:200007,phase:2,t:none,log,deny,status:400,msg:'Too many arguments'"
SecRule REQBODY_ERROR "!@eq 0" \\
    "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body',\\
    logdata:'%{{reqbody_error_msg}}'"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" \\
    "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart body failed validation'"
SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" \\
    "id:200004,phase:2,t:none,log,deny,msg:'Multipart unmatched boundary'"
SecPcreMatchLimit 1000
SecPcreMatchLimitRecursion 1000
SecRule TX:/^MSC_/ "!@streq 0" \\
    "id:200005,phase:2,t:none,deny,msg:'ModSecurity internal error flagged: %{{MATCHED_VAR_NAME}}'"
# Responses are the app's own JSON: not inspected, which halves the WAF's cost.
SecResponseBodyAccess Off
SecTmpDir {temp}
SecDataDir {temp}
SecAuditEngine RelevantOnly
SecAuditLogRelevantStatus "^(?:5|4(?!04))"
SecAuditLogParts ABIJDEFHZ
SecAuditLogType Serial
SecAuditLogFormat JSON
SecAuditLog {prefix / "logs" / "modsec_audit.log"}
SecArgumentSeparator &
SecCookieFormat 0
{_unicode_map()}
SecStatusEngine Off

Include {conf_dir / "crs-setup.conf"}
Include {conf_dir / "orchid-exclusions.conf"}
Include {CRS_RULES}/*.conf
"""


def crs_setup() -> str:
    """CRS's set-up: blocking anomaly mode, paranoia level 1, inbound threshold 5."""
    return f"""# Rendered by orchid.edge (replaces /etc/modsecurity/crs/crs-setup.conf).
SecDefaultAction "phase:1,log,auditlog,pass"
SecDefaultAction "phase:2,log,auditlog,pass"
SecCollectionTimeout 600
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level={PARANOIA}"
SecAction "id:900110,phase:1,nolog,pass,t:none,\\
    setvar:tx.inbound_anomaly_score_threshold={INBOUND_THRESHOLD},\\
    setvar:tx.outbound_anomaly_score_threshold={OUTBOUND_THRESHOLD}"
SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods={METHODS}'"
SecAction "id:900220,phase:1,nolog,pass,t:none,\\
    setvar:'tx.allowed_request_content_type={CONTENT_TYPES}'"
SecAction "id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334"
"""


def write_waf(prefix: Path, conf_dir: Path, *, max_body_bytes: int) -> Path:
    """Write the ModSecurity files into `conf_dir`; return the rules file nginx loads."""
    folder = conf_dir / "modsecurity"
    folder.mkdir(parents=True, exist_ok=True)
    (prefix / "temp" / "modsecurity").mkdir(parents=True, exist_ok=True)
    (folder / "crs-setup.conf").write_text(crs_setup())
    (folder / "orchid-exclusions.conf").write_text(EXCLUSIONS.lstrip())
    main = folder / "main.conf"
    main.write_text(main_conf(prefix, folder, max_body_bytes=max_body_bytes))
    return main
