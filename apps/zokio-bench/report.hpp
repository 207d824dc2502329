// The result of a run, as a text report for people or as one JSON object for scripts.
#pragma once

#include <cstdio>

#include "options.hpp"
#include "run.hpp"

namespace zokio::bench {

void print_text_report(std::FILE* out, const Options& o, const RunResult& r);
// One line: {"requests":N,"duration_s":x,...} (field names in README.md).
void print_json_report(std::FILE* out, const Options& o, const RunResult& r);

}  // namespace zokio::bench
