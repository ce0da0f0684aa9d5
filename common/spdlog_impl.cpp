// SPDX-License-Identifier: MIT
// spdlog and fmt, compiled into Chipmunk from Debian's own headers (libspdlog-dev and
// libfmt-dev) instead of linked as libspdlog.so.1.10 and libfmt.so.9.
//
// Why: chipmunk-updater is a small daemon that users compare with inadyn (a C program). With
// spdlog and fmt as shared libraries it needs libstdc++.so, libm and libgcc_s at run time,
// ~2.4 MB of its ~5 MB resident memory; with them compiled in, the updater links libstdc++
// statically and maps only the C library (docs/BENCHMARKS.md, "chipmunk-updater against
// ddclient and inadyn").
//
// How: the rest of the code is compiled in spdlog's "compiled library" mode
// (SPDLOG_COMPILED_LIB: the headers declare, the *-inl.h files define) and fmt's default
// mode (format.h declares, format-inl.h defines). This one file includes the defining
// headers and instantiates the templates those headers declare `extern` or only declare,
// for the character type and sinks Chipmunk uses. The linker names anything missing.
#ifndef SPDLOG_COMPILED_LIB
#error "compile with SPDLOG_COMPILED_LIB (config/CMakeLists.txt: chipmunk_spdlog)"
#endif

#include <fmt/format-inl.h>
#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/file_helper-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/sinks/stdout_sinks-inl.h>
#include <spdlog/spdlog-inl.h>

#include <mutex>

// fmt: what format.h declares but defines only in format-inl.h.
FMT_BEGIN_NAMESPACE
namespace detail {
template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
}  // namespace detail
FMT_END_NAMESPACE

// spdlog: the sink templates Chipmunk uses (common/logging.cpp, the programs' main.cpp).
template class spdlog::sinks::base_sink<std::mutex>;
template class spdlog::sinks::base_sink<spdlog::details::null_mutex>;
template class spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>;
template class spdlog::sinks::stderr_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::stdout_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stderr_sink<spdlog::details::console_mutex>;
