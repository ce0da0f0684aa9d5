// SPDX-License-Identifier: MIT
// The request signers (providers/signing.hpp) against the values AWS publishes, and the
// bounded XML reader (providers/xml_reply.hpp) the route53 provider reads replies with.
//   Signing key: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4.html
//     ("derive a signing key": 20120215, us-east-1, iam)
//   get-vanilla, get-vanilla-query-order-key-case: the Signature Version 4 test suite,
//     https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html (also in
//     https://github.com/awslabs/aws-c-auth/tree/main/tests/aws-signing-test-suite/v4)
//   IAM ListUsers: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
//     (its worked example: GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08)
#include <catch2/catch.hpp>

#include <chrono>

#include "common/strings.hpp"
#include "providers/signing.hpp"
#include "providers/xml_reply.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::hexOf;
using namespace chipmunk::providers;

const std::string kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const AwsCredentials kExample{"AKIDEXAMPLE", kSecret, ""};

// 2015-08-30T12:36:00Z, the test suite's X-Amz-Date.
std::chrono::system_clock::time_point suiteTime() {
  return std::chrono::system_clock::from_time_t(1440938160);
}

std::string header(const HttpRequest& req, const std::string& name) {
  for (const auto& [n, v] : req.headers) {
    if (n == name) {
      return v;
    }
  }
  return "(absent)";
}

HttpRequest signedGet(const std::string& url, const AwsCredentials& credentials,
                      const AwsScope& scope) {
  HttpRequest req;
  req.url = url;
  signSigV4(req, credentials, scope, suiteTime());
  return req;
}

TEST_CASE("SigV4: the signing key of AWS's documented example", "[providers][unit]") {
  CHECK(hexOf(sigV4SigningKey(kSecret, "20120215", {"us-east-1", "iam"})) ==
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  CHECK(amzDate(suiteTime()) == "20150830T123600Z");
  CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha1Hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("SigV4: the test suite's get-vanilla and get-vanilla-query-order-key-case",
          "[providers][unit]") {
  const AwsScope scope{"us-east-1", "service"};
  auto req = signedGet("https://example.amazonaws.com/", kExample, scope);
  CHECK(header(req, "X-Amz-Date") == "20150830T123600Z");
  CHECK(header(req, "Authorization") ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  CHECK(header(req, "X-Amz-Security-Token") == "(absent)");
  req = signedGet("https://example.amazonaws.com/?Param2=value2&Param1=value1", kExample, scope);
  CHECK(header(req, "Authorization").substr(header(req, "Authorization").find("Signature=")) ==
        "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  std::string signedHeaders;
  const std::string canonical = sigV4CanonicalRequest(
      "GET", "/", "Param2=value2&Param1=value1",
      {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}}, "", signedHeaders);
  CHECK(canonical ==
        "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
        "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("SigV4: the IAM ListUsers example signs its Content-Type, a token is signed too",
          "[providers][unit]") {
  HttpRequest req;
  req.url = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  signSigV4(req, kExample, {"us-east-1", "iam"}, suiteTime());
  CHECK(header(req, "Authorization") ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  const auto temporary = signedGet("https://example.amazonaws.com/",
                                   {"ASIAEXAMPLE", kSecret, "token/+="}, {"us-east-1", "service"});
  CHECK(header(temporary, "X-Amz-Security-Token") == "token/+=");
  CHECK(header(temporary, "Authorization")
            .find("SignedHeaders=host;x-amz-date;x-amz-security-token,") != std::string::npos);
  CHECK(header(temporary, "Authorization").find(kSecret) == std::string::npos);
}

TEST_CASE("XML reader: elements, text, entities, prefixes, comments and attributes",
          "[providers][unit]") {
  xml::Document doc;
  std::string error;
  REQUIRE(
      doc.parse("<?xml version=\"1.0\"?>\n<!-- c --><r:Resp xmlns:r=\"x\" a='1>2'>"
                "<Error><Code>A&amp;B &#65;&#x42;&lt;</Code><Empty/></Error>"
                "<Item>1</Item><Item>2</Item></r:Resp>\n",
                error));
  CHECK(doc.root()->name == "Resp");
  CHECK(doc.text(*doc.root(), {"Error", "Code"}) == "A&B AB<");
  CHECK(doc.find(*doc.root(), {"Error", "Empty"}) != nullptr);
  CHECK(doc.text(*doc.root(), {"Error", "Missing"}).empty());
  REQUIRE(doc.children(*doc.root(), "Item").size() == 2);
  CHECK(doc.children(*doc.root(), "Item")[1]->text == "2");
}

TEST_CASE("XML reader: refuses DOCTYPE, CDATA, broken, deep, huge and many-element input",
          "[providers][unit]") {
  xml::Document doc;
  std::string error;
  for (const std::string& bad :
       {std::string("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>"),
        std::string("<x><![CDATA[y]]></x>"), std::string("<x>&unknown;</x>"),
        std::string("<x><y></x></y>"), std::string("<x>"), std::string("<x/><y/>"),
        std::string("text"), std::string(""), std::string("<x a=\"1></x>"),
        std::string("<x>&#0;</x>"), std::string("<x>&#x110000;</x>")}) {
    INFO(bad);
    CHECK_FALSE(doc.parse(bad, error));
    CHECK(doc.root() == nullptr);
  }
  std::string deep;
  for (int i = 0; i < 100000; ++i) {
    deep += "<a>";
  }
  CHECK_FALSE(doc.parse(deep, error));
  CHECK(error.find("nesting too deep") != std::string::npos);
  std::string many = "<r>";
  for (size_t i = 0; i < xml::kMaxXmlElements; ++i) {
    many += "<i/>";
  }
  CHECK_FALSE(doc.parse(many + "</r>", error));
  CHECK(error.find("too many elements") != std::string::npos);
  CHECK_FALSE(doc.parse("<r>" + std::string(xml::kMaxXmlBytes, 'x') + "</r>", error));
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
