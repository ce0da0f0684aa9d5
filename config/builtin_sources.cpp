// SPDX-License-Identifier: MIT
#include "config/builtin_sources.hpp"

#include "common/strings.hpp"

namespace chipmunk::config {
namespace {

using A = BuiltinAnswer;

BuiltinSource https(std::string name, std::string op, bool ipv6, A answer, std::string url,
                    std::string field, std::string doc) {
  BuiltinSource s;
  s.name = std::move(name);
  s.operator_ = std::move(op);
  s.ipv6 = ipv6;
  s.answer = answer;
  s.url = std::move(url);
  s.field = std::move(field);
  s.documentation = std::move(doc);
  return s;
}

BuiltinSource dns(std::string name, std::string op, bool ipv6, std::string qname, std::string qtype,
                  std::string qclass, std::string server, std::string doc) {
  BuiltinSource s;
  s.name = std::move(name);
  s.operator_ = std::move(op);
  s.ipv6 = ipv6;
  s.answer = qtype == "TXT" ? A::kDnsTxt : A::kDnsAddress;
  s.qname = std::move(qname);
  s.qtype = std::move(qtype);
  s.qclass = std::move(qclass);
  s.server = std::move(server);
  s.documentation = std::move(doc);
  return s;
}

std::vector<BuiltinSource> makeRows() {
  const std::string opendnsDoc = "https://www.opendns.com/ (myip.opendns.com)";
  const std::string googleDoc = "https://developers.google.com/speed/public-dns/faq";
  const std::string cfDoc = "https://developers.cloudflare.com/1.1.1.1/";
  // resolver1.opendns.com, ns1.google.com and one.one.one.one, by address: the question goes
  // to the operator's server over the row's family, with no resolver in between.
  return {
      dns("opendns", "OpenDNS (Cisco)", false, "myip.opendns.com", "A", "IN", "208.67.222.222",
          opendnsDoc),
      dns("opendns", "OpenDNS (Cisco)", true, "myip.opendns.com", "AAAA", "IN", "2620:119:35::35",
          opendnsDoc),
      dns("google-dns", "Google", false, "o-o.myaddr.l.google.com", "TXT", "IN", "216.239.32.10",
          googleDoc),
      dns("google-dns", "Google", true, "o-o.myaddr.l.google.com", "TXT", "IN",
          "2001:4860:4802:32::a", googleDoc),
      dns("cloudflare-dns", "Cloudflare", false, "whoami.cloudflare", "TXT", "CH", "1.1.1.1",
          cfDoc),
      dns("cloudflare-dns", "Cloudflare", true, "whoami.cloudflare", "TXT", "CH",
          "2606:4700:4700::1111", cfDoc),
      https("ipify", "ipify", false, A::kText, "https://api.ipify.org/", "",
            "https://www.ipify.org/"),
      https("ipify", "ipify", true, A::kText, "https://api6.ipify.org/", "",
            "https://www.ipify.org/"),
      https("ipify-json", "ipify", false, A::kJson, "https://api.ipify.org/?format=json", "ip",
            "https://www.ipify.org/"),
      https("ipify-json", "ipify", true, A::kJson, "https://api6.ipify.org/?format=json", "ip",
            "https://www.ipify.org/"),
      https("icanhazip", "Cloudflare", false, A::kText, "https://ipv4.icanhazip.com/", "",
            "https://major.io/p/a-new-future-for-icanhazip/"),
      https("icanhazip", "Cloudflare", true, A::kText, "https://ipv6.icanhazip.com/", "",
            "https://major.io/p/a-new-future-for-icanhazip/"),
      https("ifconfig.co", "ifconfig.co", false, A::kJson, "https://ifconfig.co/json", "ip",
            "https://ifconfig.co/"),
      https("ifconfig.co", "ifconfig.co", true, A::kJson, "https://ifconfig.co/json", "ip",
            "https://ifconfig.co/"),
      https("ident.me", "ident.me", false, A::kText, "https://v4.ident.me/", "",
            "https://api.ident.me/"),
      https("ident.me", "ident.me", true, A::kText, "https://v6.ident.me/", "",
            "https://api.ident.me/"),
      https("cloudflare-trace", "Cloudflare", false, A::kKeyValue, "https://1.1.1.1/cdn-cgi/trace",
            "ip", cfDoc),
      https("cloudflare-trace", "Cloudflare", true, A::kKeyValue,
            "https://[2606:4700:4700::1111]/cdn-cgi/trace", "ip", cfDoc),
  };
}

}  // namespace

const std::vector<BuiltinSource>& builtinSources() {
  static const std::vector<BuiltinSource> rows = makeRows();
  return rows;
}

bool isBuiltinSource(const std::string& name) {
  const std::string lower = lowercase(name);
  for (const auto& row : builtinSources()) {
    if (row.name == lower) {
      return true;
    }
  }
  return false;
}

}  // namespace chipmunk::config
