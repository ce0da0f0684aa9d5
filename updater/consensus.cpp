// SPDX-License-Identifier: MIT
// Discovery by agreement: [Discovery] consensus = N publishes an address only when N
// independent operators report it, so that one hijacked or broken echo service cannot
// re-point a user's DNS.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "updater/discovery.hpp"

namespace chipmunk::updater {

// Every source of `batch` at once, each bounded by its own timeout.
std::vector<Discovery::Answer> Discovery::ask(const std::vector<Entry*>& batch, Family family) {
  std::vector<Answer> answers(batch.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < batch.size(); ++i) {
    answers[i].entry = batch[i];
    threads.emplace_back([this, family, &answer = answers[i]] {
      const auto text = answer.entry->source->fetch(family, answer.error);
      if (text) {
        answer.ip = validateAddress(*text, family, allowPrivate_, answer.error);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  return answers;
}

namespace {

// Operators per address, in the order first reported.
std::map<std::string, int> votes(const std::vector<Discovery::Answer>& answers);

}  // namespace

// Rounds: each asks as many further operators as the leading address still lacks; a round
// starts only while the budget lasts, and each source is bounded by its own timeout.
DiscoveryResult Discovery::discoverByConsensus(Family family) {
  DiscoveryResult result;
  const auto deadline = std::chrono::steady_clock::now() + budget_;
  std::vector<Entry*> candidates;  // the first source of each operator, in order
  std::set<std::string> operators;
  for (auto& e : sources_) {
    if (e.source->handles(family) && operators.insert(e.operatorName).second) {
      candidates.push_back(&e);
    }
  }
  std::vector<Answer> answers;
  std::map<std::string, int> count;
  size_t next = 0;
  int best = 0;
  while (best < consensus_ && next < candidates.size() &&
         std::chrono::steady_clock::now() < deadline) {
    const size_t want = std::min<size_t>(consensus_ - best, candidates.size() - next);
    const std::vector<Entry*> batch(candidates.begin() + next, candidates.begin() + next + want);
    next += want;
    for (auto& a : ask(batch, family)) {
      answers.push_back(std::move(a));
    }
    count = votes(answers);
    best = 0;
    for (const auto& [ip, n] : count) {
      best = std::max(best, n);
    }
  }
  std::string agreed;
  for (const auto& [ip, n] : count) {
    if (n >= consensus_) {
      agreed = ip;
    }
  }
  std::string tally;
  for (const auto& a : answers) {
    if (!a.ip) {
      result.errors.push_back(a.entry->name + ": " + a.error);
      continue;
    }
    tally += (tally.empty() ? "" : ", ") + a.entry->name + "=" + a.ip->toString();
    if (a.ip->toString() == agreed) {
      result.ip = a.ip;
      result.source += (result.source.empty() ? "" : "+") + a.entry->name;
    } else if (!agreed.empty()) {
      result.outliers.push_back(a.entry->name + " (" + a.entry->operatorName + "): answered " +
                                a.ip->toString() + ", the agreed address is " + agreed);
    }
  }
  if (agreed.empty()) {
    result.source.clear();
    result.errors.push_back("no " + std::to_string(consensus_) + " operators agree (" +
                            std::to_string(candidates.size()) + " available" +
                            (tally.empty() ? "" : ": " + tally) + ")");
  }
  return result;
}

namespace {

std::map<std::string, int> votes(const std::vector<Discovery::Answer>& answers) {
  std::map<std::string, int> count;
  for (const auto& a : answers) {
    if (a.ip) {
      ++count[a.ip->toString()];
    }
  }
  return count;
}

}  // namespace

}  // namespace chipmunk::updater
