// SPDX-License-Identifier: MIT
#include "api/server_parser.hpp"

namespace chipmunk::api {
namespace {

using Pistache::Http::Private::State;
using Pistache::Http::Private::Step;
using Pistache::Http::Private::StepId;

// A parser step that only tells Pistache's idle check which timeout applies.
class TimerStep final : public Step {
 public:
  TimerStep(Pistache::Http::Message* message, StepId id, std::shared_ptr<const Awaiting> awaiting)
      : Step(message), id_(id), awaiting_(std::move(awaiting)) {}

  // An id that Pistache's idle check does not time (see Awaiting).
  static constexpr StepId kAwaitingId = 0x63686970;  // "chip"

  // Pistache::Http::Private::Step
  StepId id() const override { return awaiting_->busy() ? kAwaitingId : id_; }
  State apply(Pistache::StreamCursor&) override { return State::Again; }  // never called

 private:
  StepId id_;
  std::shared_ptr<const Awaiting> awaiting_;
};

}  // namespace

ConnectionState::ConnectionState(size_t maxSize, std::optional<IpAddress> address)
    : ParserImpl(0), reader(maxSize), peer(address) {
  using namespace Pistache::Http::Private;
  allSteps[0] = std::make_unique<TimerStep>(&request, RequestLineStep::Id, awaiting);
  allSteps[1] = std::make_unique<TimerStep>(&request, HeadersStep::Id, awaiting);
  allSteps[2] = std::make_unique<TimerStep>(&request, BodyStep::Id, awaiting);
}

void ConnectionState::track() {
  currentStep = reader.inBody() ? 2 : 0;
}

}  // namespace chipmunk::api
