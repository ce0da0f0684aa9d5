// SPDX-License-Identifier: MIT
// The address book page: one self-contained HTML document (no external assets), served
// behind the same authentication as the API. The server renders the records into the page
// (a plain table that needs no script, and the same records as JSON for the script); the
// script adds sorting and copy buttons and refreshes from /hosts.
#include <rapidjson/document.h>

#include <string>

#include "api/routes.hpp"
#include "common/json.hpp"

namespace chipmunk::api {
namespace {

const char* const kHead = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chipmunk address book</title>
<style>
:root { --bg:#fffdf5; --fg:#222; --muted:#777; --line:#e6dfc8; --accent:#b8860b; --stale:#fff0e0; --bad:#b22; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5em 1em; padding: .8em 1em; border-bottom: 2px solid var(--accent); }
h1 { margin: 0; font-size: 1.3em; }
#status { color: var(--muted); font-size: .9em; }
main { padding: .5em 1em 2em; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .45em .5em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \25B2"; }
th[aria-sort="descending"]::after { content: " \25BC"; }
tr.stale td { background: var(--stale); }
tr.expired td { color: var(--muted); text-decoration: line-through; }
.addr { font-family: ui-monospace, monospace; word-break: break-all; }
.tag { display: inline-block; font-size: .75em; padding: 0 .4em; border-radius: .6em; background: var(--accent); color: #fff; margin-left: .3em; }
.tag.bad { background: var(--bad); }
button.copy { font-size: .75em; margin-left: .3em; padding: .1em .4em; cursor: pointer; }
.meta { color: var(--muted); font-size: .85em; }
#empty { color: var(--muted); padding: 1em 0; }
nav.pages { display: flex; gap: 1em; padding: .8em 0; }
@media (max-width: 640px) {
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  tr { border: 1px solid var(--line); border-radius: .4em; margin: .6em 0; padding: .3em; }
  td { border: 0; padding: .2em .4em; }
  td::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85em; }
  td.meta:empty { display: none; }
}
</style>
</head>
<body>
<header><h1>Chipmunk address book</h1>)HTML";

const char* const kAfterStatus = R"HTML(</header>
<main>
<table id="hosts">
<thead><tr>
<th data-key="name">Host</th><th data-key="owner">Owner</th><th data-key="ipv4">IPv4</th>
<th data-key="ipv6">IPv6</th><th data-key="seen_seconds_ago">Last seen</th><th data-key="changed_at">Changed</th>
<th data-key="wg">WireGuard</th><th data-key="meta">Details</th>
</tr></thead>
)HTML";

const char* const kAfterRows = R"HTML(
</table>
)HTML";

const char* const kAfterEmpty =
    R"HTML(No records yet. Machines appear here after their first /set or /nic/update.</div>
</main>
<script>
"use strict";
)HTML";

const char* const kTail = R"HTML(let sortKey = "name", sortDir = 1;
const REFRESH_MS = 30000;

function ago(s) {
  if (s === null || s === undefined) return "never";
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function addrCell(label, value) {
  const td = el("td"); td.dataset.label = label;
  if (!value) { td.textContent = "\u2014"; return td; }
  td.appendChild(el("span", value, "addr"));
  const b = el("button", "copy", "copy"); b.type = "button"; b.title = "Copy " + value;
  b.addEventListener("click", () => copy(value, b));
  td.appendChild(b);
  return td;
}
function copy(text, button) {
  const done = () => { button.textContent = "copied"; setTimeout(() => button.textContent = "copy", 1500); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
  } else fallbackCopy(text, done);
}
function fallbackCopy(text, done) {
  const t = document.createElement("textarea"); t.value = text; document.body.appendChild(t);
  t.select(); try { document.execCommand("copy"); done(); } catch (e) {} t.remove();
}
// A WireGuard peer's details (docs/WIREGUARD.md): key shortened, port, LAN and public address.
function wgLines(r) {
  const m = r.metadata || {};
  if (!m.wg_public_key) return [];
  const port = m.wg_public_port || m.wg_listen_port;
  const pub = r.ipv4 || r.ipv6;
  return [m.wg_public_key.slice(0, 8) + "\u2026", port ? "port " + port : null,
          m.lan_ip ? "LAN " + m.lan_ip : null, pub ? "public " + pub : null].filter(x => x);
}
function value(r, key) {
  if (key === "wg") return (r.metadata || {}).wg_public_key || "";
  if (key === "meta") return Object.keys(r.metadata || {}).length;
  const v = r[key];
  return v === null || v === undefined ? (key === "seen_seconds_ago" ? Infinity : "") : v;
}
function render() {
  const body = document.querySelector("#hosts tbody");
  body.textContent = "";
  const rows = records.slice().sort((a, b) => {
    const x = value(a, sortKey), y = value(b, sortKey);
    return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
  });
  for (const r of rows) {
    const tr = el("tr"); tr.dataset.name = r.name;
    if (r.stale) tr.classList.add("stale");
    if (r.expired) tr.classList.add("expired");
    const name = el("td"); name.dataset.label = "Host";
    name.appendChild(el("strong", r.name));
    if (r.expired) name.appendChild(el("span", "expired", "tag bad"));
    else if (r.stale) name.appendChild(el("span", "stale", "tag"));
    tr.appendChild(name);
    const owner = el("td", r.owner); owner.dataset.label = "Owner"; tr.appendChild(owner);
    tr.appendChild(addrCell("IPv4", r.ipv4));
    tr.appendChild(addrCell("IPv6", r.ipv6));
    const seen = el("td", ago(r.seen_seconds_ago)); seen.dataset.label = "Last seen";
    if (r.last_seen) seen.title = r.last_seen; tr.appendChild(seen);
    const changed = el("td", r.changed_at ? r.changed_at.replace("T", " ").replace("Z", " UTC") : "\u2014");
    changed.dataset.label = "Changed"; tr.appendChild(changed);
    const wg = el("td", null, "meta"); wg.dataset.label = "WireGuard";
    for (const line of wgLines(r)) wg.appendChild(el("div", line));
    if (!wg.firstChild) wg.textContent = "\u2014";
    tr.appendChild(wg);
    const meta = el("td", null, "meta"); meta.dataset.label = "Details";
    for (const [k, v] of Object.entries(r.metadata || {})) meta.appendChild(el("div", k + ": " + v));
    tr.appendChild(meta);
    body.appendChild(tr);
  }
  document.getElementById("empty").hidden = records.length > 0;
  for (const th of document.querySelectorAll("th")) {
    th.setAttribute("aria-sort", th.dataset.key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
  }
}
function showStatus() {
  document.getElementById("status").textContent = records.length + " host" +
    (records.length === 1 ? "" : "s") + (PAGED ? " on this page" : "") + " \u00b7 updated " + new Date().toLocaleTimeString() +
    " \u00b7 refreshes every " + REFRESH_MS / 1000 + " s";
}
async function load() {
  const status = document.getElementById("status");
  try {
    // An absolute URL without user:password@ (fetch refuses those), so that a page opened
    // with credentials in its URL still loads; the browser sends the cached credentials.
    // The same page of /hosts as the server rendered (PAGE_QUERY: its limit and cursor).
    const url = new URL("hosts?" + PAGE_QUERY, location.origin + location.pathname);
    const res = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    records = (await res.json()).hosts;
    showStatus();
    render();
  } catch (e) {
    status.textContent = "could not load the address book (" + e.message + "); retrying";
  }
}
for (const th of document.querySelectorAll("th")) {
  th.addEventListener("click", () => {
    if (sortKey === th.dataset.key) sortDir = -sortDir; else { sortKey = th.dataset.key; sortDir = 1; }
    render();
  });
}
// The server put the records into the page: show them now, then refresh.
showStatus();
render();
setInterval(load, REFRESH_MS);
</script>
</body>
</html>
)HTML";

std::string escapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Same wording as the script's ago().
std::string ago(const rapidjson::Value& seconds) {
  if (!seconds.IsInt64()) {
    return "never";
  }
  const int64_t s = seconds.GetInt64();
  if (s < 60) {
    return std::to_string(s) + " s ago";
  }
  if (s < 3600) {
    return std::to_string(s / 60) + " min ago";
  }
  if (s < 86400) {
    return std::to_string(s / 3600) + " h ago";
  }
  return std::to_string(s / 86400) + " d ago";
}

std::string text(const rapidjson::Value& record, const char* key) {
  const auto it = record.FindMember(key);
  return it != record.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool flag(const rapidjson::Value& record, const char* key) {
  const auto it = record.FindMember(key);
  return it != record.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::string cell(const char* label, const std::string& html, const char* cls = nullptr) {
  std::string out = "<td data-label=\"";
  out += label;
  out += "\"";
  if (cls != nullptr) {
    out += " class=\"";
    out += cls;
    out += "\"";
  }
  return out + ">" + html + "</td>";
}

std::string addressCell(const char* label, const std::string& address) {
  return cell(label, address.empty() ? "&#8212;"
                                     : "<span class=\"addr\">" + escapeHtml(address) + "</span>");
}

// Same lines as the script's wgLines(): "&#8212;" for a record without wg_public_key.
std::string wireguardCell(const rapidjson::Value& r) {
  const auto m = r.FindMember("metadata");
  if (m == r.MemberEnd() || !m->value.IsObject() || text(m->value, "wg_public_key").empty()) {
    return cell("WireGuard", "&#8212;", "meta");
  }
  const rapidjson::Value& meta = m->value;
  const std::string key = text(meta, "wg_public_key");
  std::string port = text(meta, "wg_public_port");
  port = port.empty() ? text(meta, "wg_listen_port") : port;
  const std::string lan = text(meta, "lan_ip");
  std::string pub = text(r, "ipv4");
  pub = pub.empty() ? text(r, "ipv6") : pub;
  std::string html = "<div>" + escapeHtml(key.substr(0, 8)) + "&#8230;</div>";
  html += port.empty() ? "" : "<div>port " + escapeHtml(port) + "</div>";
  html += lan.empty() ? "" : "<div>LAN " + escapeHtml(lan) + "</div>";
  html += pub.empty() ? "" : "<div>public " + escapeHtml(pub) + "</div>";
  return cell("WireGuard", html, "meta");
}

std::string renderRows(const rapidjson::Value& records) {
  std::string out;
  for (const auto& r : records.GetArray()) {
    if (!r.IsObject()) {
      continue;
    }
    const bool expired = flag(r, "expired");
    const bool stale = flag(r, "stale");
    const std::string name = text(r, "name");
    out += "<tr data-name=\"" + escapeHtml(name) + "\"";
    if (expired || stale) {
      out += std::string(" class=\"") + (stale ? "stale" : "") + (stale && expired ? " " : "") +
             (expired ? "expired" : "") + "\"";
    }
    out += ">";
    std::string host = "<strong>" + escapeHtml(name) + "</strong>";
    if (expired) {
      host += "<span class=\"tag bad\">expired</span>";
    } else if (stale) {
      host += "<span class=\"tag\">stale</span>";
    }
    out += cell("Host", host);
    out += cell("Owner", escapeHtml(text(r, "owner")));
    out += addressCell("IPv4", text(r, "ipv4"));
    out += addressCell("IPv6", text(r, "ipv6"));
    const auto seen = r.FindMember("seen_seconds_ago");
    out += cell("Last seen", seen != r.MemberEnd() ? ago(seen->value) : "never");
    std::string changed = text(r, "changed_at");
    if (changed.size() == 20) {  // 2026-11-29T03:08:03Z -> 2026-11-29 03:08:03 UTC
      changed = changed.substr(0, 10) + " " + changed.substr(11, 8) + " UTC";
    }
    out += cell("Changed", changed.empty() ? "&#8212;" : escapeHtml(changed));
    out += wireguardCell(r);
    std::string meta;
    const auto m = r.FindMember("metadata");
    if (m != r.MemberEnd() && m->value.IsObject()) {
      for (const auto& field : m->value.GetObject()) {
        if (field.value.IsString()) {
          meta += "<div>" + escapeHtml(field.name.GetString()) + ": " +
                  escapeHtml(field.value.GetString()) + "</div>";
        }
      }
    }
    out += cell("Details", meta, "meta");
    out += "</tr>\n";
  }
  return out;
}

std::string link(const char* rel, const char* label, const std::string& query) {
  return std::string("<a rel=\"") + rel + "\" href=\"?" + escapeHtml(query) + "\">" + label +
         "</a>";
}

// First / previous / next: cursors are base64url (nothing to escape in a URL).
std::string navigation(const PageLinks& links) {
  const std::string limit = "limit=" + std::to_string(links.limit);
  std::string out;
  if (!links.cursor.empty()) {
    out += link("first", "First page", limit);
  }
  if (links.back && !links.back->empty()) {
    out += link("prev", "Previous page", limit + "&cursor=" + *links.back);
  }
  if (!links.next.empty()) {
    out += link("next", "Next page", limit + "&cursor=" + links.next + "&back=" + links.cursor);
  }
  return out.empty() ? out : "<nav class=\"pages\">" + out + "</nav>\n";
}

}  // namespace

std::string yellowPagesHtml(const std::string& recordsJson, const PageLinks& links) {
  rapidjson::Document doc;
  std::string error;
  // The records are our own output, but their metadata came from clients: bounded all the same
  // (the size cap is the page's, not a provider reply's).
  const bool ok =
      json::parse(doc, recordsJson, error, {recordsJson.size(), json::kMaxDepth}) && doc.IsArray();
  const size_t count = ok ? doc.Size() : 0;
  // The JSON goes into a script element: "<" as \u003c keeps "</script>" out of it.
  std::string embedded;
  embedded.reserve(recordsJson.size());
  for (const char c : ok ? recordsJson : std::string("[]")) {
    embedded += c == '<' ? std::string("\\u003c") : std::string(1, c);
  }
  std::string page = kHead;
  const bool paged = !links.cursor.empty() || !links.next.empty();
  page += "<span id=\"status\">" + std::to_string(count) + (count == 1 ? " host" : " hosts") +
          (paged ? " on this page" : "") + "</span>";
  page += kAfterStatus;
  page += "<tbody>\n";
  page += ok ? renderRows(doc) : "";
  page += "</tbody>";
  page += kAfterRows;
  page += navigation(links);
  page += count > 0 ? "<div id=\"empty\" hidden>" : "<div id=\"empty\">";
  page += kAfterEmpty;
  page += "let records = " + embedded + ";\n";
  page += "const PAGED = " + std::string(paged ? "true" : "false") + ";\n";
  page += "const PAGE_QUERY = \"limit=" + std::to_string(links.limit) +
          (links.cursor.empty() ? "" : "&cursor=" + links.cursor) + "\";\n";
  page += kTail;
  return page;
}

}  // namespace chipmunk::api
