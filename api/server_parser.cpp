// SPDX-License-Identifier: MIT
#include "api/server_parser.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include "api/client_ip.hpp"
#include "api/http_writer.hpp"

namespace chipmunk::api {
namespace {

using Pistache::Http::Private::State;
using Pistache::Http::Private::Step;
using Pistache::Http::Private::StepId;

// One of Pistache's parser steps, guarded (see GuardedRequestParser).
class GuardedStep final : public Step {
 public:
  GuardedStep(Pistache::Http::Message* message, std::unique_ptr<Step> inner,
              GuardedRequestParser* parser, std::shared_ptr<const Awaiting> awaiting)
      : Step(message), inner_(std::move(inner)), parser_(parser), awaiting_(std::move(awaiting)) {}

  // An id that Pistache's idle check does not time (see Awaiting).
  static constexpr StepId kAwaitingId = 0x63686970;  // "chip"

  // Pistache::Http::Private::Step
  StepId id() const override { return awaiting_ && awaiting_->busy() ? kAwaitingId : inner_->id(); }
  State apply(Pistache::StreamCursor& cursor) override;

 private:
  // Before the request line: waits for the whole head, then refuses it by throwing the
  // status when checkRequestHead(), the method or the announced body size says so.
  State checkHead(Pistache::StreamCursor& cursor);
  // Pistache keeps the first line of a repeated header and drops the others; a forwarding
  // header's value is all of its lines, in order (see joinHeaderLines).
  void joinForwardingHeaders(std::string_view block) const;

  std::unique_ptr<Step> inner_;
  GuardedRequestParser* parser_;
  std::shared_ptr<const Awaiting> awaiting_;
};

State GuardedStep::checkHead(Pistache::StreamCursor& cursor) {
  using Pistache::Http::Code;
  using Pistache::Http::HttpError;
  // Pistache reads a head line by line as it arrives; it sees none of it before the whole
  // head is here and has been checked.
  const size_t headEnd = parser_->scanner().headEnd();
  if (headEnd == HeadScanner::npos || cursor.remaining() < headEnd) {
    return State::Again;
  }
  RequestHead head;
  if (const int status = checkRequestHead(std::string_view(cursor.offset(), headEnd), head)) {
    throw HttpError(status, reasonPhrase(status));
  }
  // RFC 9110 section 9.1: a method the server does not know is 501 (Pistache: 400).
  static constexpr std::string_view kKnown[] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                                "PATCH", "OPTIONS", "TRACE", "CONNECT"};
  if (std::find(std::begin(kKnown), std::end(kKnown), head.method) == std::end(kKnown)) {
    throw HttpError(Code::Not_Implemented, "Not Implemented");
  }
  if (head.contentLength && *head.contentLength > parser_->maxSize()) {
    throw HttpError(Code::Request_Entity_Too_Large, "Payload Too Large");
  }
  parser_->setTarget(head.target);
  return State::Next;
}

State GuardedStep::apply(Pistache::StreamCursor& cursor) {
  using Pistache::Http::Code;
  using Pistache::Http::HttpError;
  if (inner_->id() == Pistache::Http::Private::RequestLineStep::Id &&
      checkHead(cursor) == State::Again) {
    return State::Again;
  }
  try {
    const size_t start = cursor;
    const auto state = inner_->apply(cursor);
    if (inner_->id() == Pistache::Http::Private::HeadersStep::Id && state == State::Next) {
      joinForwardingHeaders(std::string_view(cursor.offset(start), cursor.diff(start)));
    }
    return state;
  } catch (const HttpError& e) {
    switch (e.code()) {
      case 413:
        throw HttpError(Code::Request_Entity_Too_Large, "Payload Too Large");
      default:
        throw HttpError(Code::Bad_Request, "Bad Request");
    }
  } catch (const std::exception&) {
    throw HttpError(Code::Bad_Request, "Bad Request");
  }
}

void GuardedStep::joinForwardingHeaders(std::string_view block) const {
  static constexpr const char* kNames[] = {"X-Forwarded-For", "X-Real-IP", "Forwarded"};
  std::optional<std::string> joined[std::size(kNames)];
  joinHeaderLines(block, {kNames[0], kNames[1], kNames[2]}, joined);  // one pass for all
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (!joined[i]) {
      continue;
    }
    auto& headers = message->headers();
    headers.remove(kNames[i]);  // the one raw entry Pistache kept (the first line)
    headers.addRaw(Pistache::Http::Header::Raw(kNames[i], std::move(*joined[i])));
  }
}

}  // namespace

GuardedRequestParser::GuardedRequestParser(size_t maxSize,
                                           const std::shared_ptr<const Awaiting>& awaiting)
    : ParserImpl(maxSize), maxSize_(maxSize) {
  for (auto& step : allSteps) {
    step = std::make_unique<GuardedStep>(&request, std::move(step), this, awaiting);
  }
}

void GuardedRequestParser::reset() {
  ParserImpl::reset();
  scanner_.reset();
  target_.clear();
}

int GuardedRequestParser::take(const char* data, size_t size) {
  scanner_.scan(data, size);
  if (scanner_.bad()) {
    return 400;
  }
  return feed(data, size) ? 0 : oversizeStatus(scanner_, maxSize_);
}

}  // namespace chipmunk::api
