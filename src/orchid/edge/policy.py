"""The nginx maps, geo blocks and limit zones that decide who gets in (rendered once per http{}).

Every decision is a variable computed from the request, so the server blocks only test it:
`$edge_block` names why a request is refused (bot, crawler, geo) or is empty; `$edge_suspect`
is 1 when the bot score marks a client; the `*_key` variables feed the limit_req zones (an empty
key is not counted, which is how exemptions and per-kind zones work).
"""

from __future__ import annotations

import itertools
import re

from orchid.edge.plan import Bots, EdgePlan, Limit

# Header signals of a scripted client and what each adds to the bot score.
SIGNALS = (("no_agent", 3), ("tool_agent", 2), ("no_accept", 1), ("no_language", 1),
           ("no_encoding", 1), ("http10", 1))


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in words)


def bot_score(flags: tuple[int, ...]) -> int:
    """The score of one combination of signal flags (1 = present), in SIGNALS order."""
    return sum(weight for flag, (_, weight) in zip(flags, SIGNALS, strict=True) if flag)


def _bot_maps(bots: Bots) -> str:
    """Classify the user agent and score the missing browser headers."""
    tools = _alternation(bots.tool_agents)
    parts = [
        "map $http_user_agent $edge_agent {",
        "    default \"\";",
        f"    \"~*({_alternation(bots.bad_agents)})\" bad;" if bots.enabled else "",
        f"    \"~*({_alternation(bots.crawlers)})\" crawler;" if bots.enabled else "",
        "}",
        'map $http_user_agent $edge_no_agent { "" 1; default 0; }',
        f'map $http_user_agent $edge_tool_agent {{ "~*^({tools})" 1; default 0; }}',
        'map $http_accept $edge_no_accept { "" 1; default 0; }',
        'map $http_accept_language $edge_no_language { "" 1; default 0; }',
        'map $http_accept_encoding $edge_no_encoding { "" 1; default 0; }',
        'map $server_protocol $edge_http10 { "HTTP/1.0" 1; default 0; }',
    ]
    # nginx cannot add numbers, so every combination of flags is listed with its score.
    key = "".join(f"${'edge_' + name}" for name, _ in SIGNALS)
    scores = [f'    "{"".join(map(str, flags))}" {bot_score(flags)};'
              for flags in itertools.product((0, 1), repeat=len(SIGNALS))]
    parts += [f'map "{key}" $edge_bot_score {{', "    default 0;", *scores, "}"]
    top = bot_score((1,) * len(SIGNALS))
    suspect = [f'    ":{score}" 1;' for score in range(bots.suspect_score, top + 1)]
    parts += [
        # Only unclassified agents are suspects: crawlers have their own zone, scanners a 403.
        'map "$edge_agent:$edge_bot_score" $edge_suspect {',
        "    default 0;",
        *(suspect if bots.enabled else []),
        "}",
    ]
    return "\n".join(p for p in parts if p)


def _read_only_map(bots: Bots) -> str:
    """1 for GET/HEAD on the pages a crawler may read."""
    paths = "|".join(re.escape(p) for p in bots.crawler_paths)
    return "\n".join([
        'map "$request_method $uri" $edge_read_only {',
        "    default 0;",
        '    "~^(GET|HEAD) /$" 1;',
        f'    "~^(GET|HEAD) ({paths})" 1;',
        "}",
    ])


def _geo_blocks(plan: EdgePlan, geo_file: str | None) -> str:
    """$edge_geo_ok: 1 for the allowed countries and the allowlist, 0 elsewhere."""
    geo = plan.geo
    if not geo.enabled or geo_file is None:
        return "geo $edge_geo_ok { default 1; }"
    lines = ["geo $edge_geo_ok {", "    default 0;", f"    include {geo_file};"]
    lines += [f"    {cidr} 1;  # allowlist" for cidr in geo.allow]
    lines += [f"    {cidr} 0;  # denylist" for cidr in geo.deny]
    return "\n".join([*lines, "}"])


def _decision_map() -> str:
    """$edge_block: why the request is refused, first reason wins; empty lets it through."""
    return "\n".join([
        'map "$edge_agent:$edge_read_only:$edge_geo_ok" $edge_block {',
        "    default \"\";",
        '    "~^bad:" bot;',
        '    "~^crawler:1:" "";    # crawlers read public pages from any country',
        '    "~^crawler:0:" crawler;',
        '    "~:0$" geo;',
        "}",
        # The error page's name: a WAF block carries no reason of ours.
        'map $edge_block $edge_page_403 { "" waf; default $edge_block; }',
        'map $request_uri $edge_format { "~^/api/" json; default html; }',
    ])


def _limit_zones(plan: EdgePlan) -> str:
    """One limit_req zone per budget, each keyed by client address unless exempt."""
    limits = plan.limits
    if limits is None:
        return ""
    exempt = "\n".join(f"    {cidr} 1;" for cidr in limits.exempt)
    zones: dict[str, tuple[Limit, str]] = {
        "general": (limits.general, "$edge_limit_key"),
        "static": (limits.static, "$edge_limit_key"),
        "suspect": (limits.suspect, "$edge_suspect_key"),
        "crawler": (limits.crawler, "$edge_crawler_key"),
        "login": (limits.login, "$edge_limit_key"),
        "otp": (limits.otp, "$edge_limit_key"),
        "checkout": (limits.checkout, "$edge_limit_key"),
    }
    retry = [f'    "~^{re.escape(path)}" {limit.retry_after()};'
             for path, (_, limit) in limits.special().items()]
    fallback = max(limits.general.retry_after(), limits.suspect.retry_after(),
                   limits.crawler.retry_after())
    return "\n".join([
        "geo $edge_limit_exempt {", "    default 0;", exempt, "}",
        'map $edge_limit_exempt $edge_limit_key { 1 ""; default $binary_remote_addr; }',
        'map $edge_suspect $edge_suspect_key { 1 $edge_limit_key; default ""; }',
        'map $edge_agent $edge_crawler_key { crawler $edge_limit_key; default ""; }',
        *(f"limit_req_zone {key} zone={name}:10m rate={limit.rate};"
          for name, (limit, key) in zones.items()),
        "limit_req_status 429;",
        "limit_req_log_level warn;",
        "map $request_uri $edge_retry_path {", f"    default {fallback};", *retry, "}",
        'map $status $edge_retry_after { 429 $edge_retry_path; default ""; }',
    ])


def http_policy(plan: EdgePlan, geo_file: str | None) -> str:
    """Everything the http{} block needs to classify and budget requests."""
    blocks = [
        _bot_maps(plan.bots), _read_only_map(plan.bots), _geo_blocks(plan, geo_file),
        _decision_map(), _limit_zones(plan),
        # Management host: the address allowlist and a credential of some kind.
        "geo $edge_manage_ip_ok {\n    default 0;\n"
        + "\n".join(f"    {cidr} 1;" for cidr in plan.hosts.manage_allow) + "\n}",
        'map "$http_authorization$cookie_orchid_session" $edge_has_credential '
        '{ "" 0; default 1; }',
        'map "$edge_manage_ip_ok:$edge_agent" $edge_manage_403 '
        '{ "~^0:" manage; "1:bad" bot; default waf; }',
    ]
    return "\n\n".join(block for block in blocks if block)
