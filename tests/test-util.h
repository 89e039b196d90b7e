/* test-util.h: helpers shared by the Check suites
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <check.h>
#include <cnnfilt.h>

G_BEGIN_DECLS

/* A tensor holding a copy of @values (n·c·h·w of them, NCHW order); fails
 * the test if the library refuses it. */
#define tu_tensor(values, n, c, h, w) \
  tu_tensor_at (__FILE__, __LINE__, (values), G_N_ELEMENTS (values), (n), (c), (h), (w))
CnnfiltTensor *tu_tensor_at (const char *file, int line, const gfloat *values, gsize n_values,
                             guint n, guint c, guint h, guint w);

/* The OpenCL device every suite compares the CPU with: CNNFILT_TEST_OPENCL
 * names it (default "opencl"; "0" for none); NULL where there is none. */
CnnfiltDevice *tu_opencl_device (void);

/* How close OpenCL results must be to the CPU's: relative to the largest
 * magnitude of the CPU's output (sums taken in another order, fused
 * multiply-adds, the device's exp and tanh). */
#define TU_OPENCL_TOLERANCE 1e-4

/* Checks that @got has @expected's shape and values within @relative of
 * the largest finite magnitude of @expected (NaN and infinities equal). */
#define tu_assert_close(what, expected, got, relative) \
  tu_assert_close_at (__FILE__, __LINE__, (what), (expected), (got), (relative))
void tu_assert_close_at (const char *file, int line, const char *what, CnnfiltTensor *expected,
                         CnnfiltTensor *got, gdouble relative);

/* Parses @pipeline and runs it on @input; fails the test, with the
 * library's message, on any error. Where there is an OpenCL device, runs it
 * there too and compares (TU_OPENCL_TOLERANCE). */
#define tu_run(pipeline, input) tu_run_at (__FILE__, __LINE__, (pipeline), (input))
CnnfiltTensor *tu_run_at (const char *file, int line, const gchar *pipeline,
                          CnnfiltTensor *input);

/* The same on a tensor made from a float array. */
#define tu_run_values(pipeline, values, n, c, h, w) \
  tu_run_values_at (__FILE__, __LINE__, (pipeline), (values), G_N_ELEMENTS (values), \
                    (n), (c), (h), (w))
CnnfiltTensor *tu_run_values_at (const char *file, int line, const gchar *pipeline,
                                 const gfloat *values, gsize n_values,
                                 guint n, guint c, guint h, guint w);

/* Parses and runs @pipeline on @input expecting a failure, at parse or at
 * run time; returns the error. */
#define tu_run_error(pipeline, input) tu_run_error_at (__FILE__, __LINE__, (pipeline), (input))
GError *tu_run_error_at (const char *file, int line, const gchar *pipeline, CnnfiltTensor *input);

/* Checks the shape of @tensor, then every value against @expected within
 * @tolerance; a failure names the index (n, c, y, x), the expected and the
 * actual value. */
#define tu_assert_tensor(tensor, n, c, h, w, expected, tolerance) \
  tu_assert_tensor_at (__FILE__, __LINE__, (tensor), (n), (c), (h), (w), (expected), \
                       G_N_ELEMENTS (expected), (tolerance))
void tu_assert_tensor_at (const char *file, int line, CnnfiltTensor *tensor,
                          guint n, guint c, guint h, guint w,
                          const gfloat *expected, gsize n_expected, gdouble tolerance);

/* Compares two tensors: same shape, values within @tolerance. */
#define tu_assert_tensors_equal(a, b, tolerance) \
  tu_assert_tensors_equal_at (__FILE__, __LINE__, (a), (b), (tolerance))
void tu_assert_tensors_equal_at (const char *file, int line, CnnfiltTensor *expected,
                                 CnnfiltTensor *got, gdouble tolerance);

/* Checks that @actual is within @tolerance of @expected. */
#define tu_assert_near(expected, actual, tolerance) \
  tu_assert_near_at (__FILE__, __LINE__, #actual, (expected), (actual), (tolerance))
void tu_assert_near_at (const char *file, int line, const char *what, gdouble expected,
                        gdouble actual, gdouble tolerance);

/* Checks that @error is set, in CNNFILT_ERROR with @code, and that its
 * message contains every string of the NULL-terminated list. */
#define tu_assert_error(error, code, ...) \
  tu_assert_error_at (__FILE__, __LINE__, (error), (code), __VA_ARGS__, NULL)
void tu_assert_error_at (const char *file, int line, const GError *error, gint code, ...)
  G_GNUC_NULL_TERMINATED;

/* Checks that @text contains @part. */
#define tu_assert_contains(text, part) tu_assert_contains_at (__FILE__, __LINE__, (text), (part))
void tu_assert_contains_at (const char *file, int line, const gchar *text, const gchar *part);

/* Log capture: once started (per process), every message is recorded
 * (warnings and worse are still printed); tu_log_count() counts recorded
 * messages of @level, in @domain unless it is NULL, whose text contains
 * @part unless it is NULL. */
void   tu_log_capture_start (void);
guint  tu_log_count         (GLogLevelFlags level, const gchar *domain, const gchar *part);
gchar *tu_log_dump          (void);

/* The process's resident memory now, and at its peak, in KiB (Linux
 * /proc/self/status); tu_reset_peak_memory() sets the peak to now, FALSE
 * where it cannot. */
gsize    tu_resident_kb       (void);
gsize    tu_peak_kb           (void);
gboolean tu_reset_peak_memory (void);

/* Whether freed memory stays resident: AddressSanitizer holds it in
 * quarantine, so a test cannot see the resident size drop on a free. */
#if defined(__SANITIZE_ADDRESS__)
#define TU_FREED_MEMORY_KEPT TRUE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_FREED_MEMORY_KEPT TRUE
#endif
#endif
#ifndef TU_FREED_MEMORY_KEPT
#define TU_FREED_MEMORY_KEPT FALSE
#endif

/* A new empty folder under $TMPDIR; tu_remove_tree() deletes it. */
gchar *tu_make_temp_dir (void);
void   tu_remove_tree   (const gchar *path);
/* The names in @dir, sorted, as one string "a, b" ("" for none). */
gchar *tu_list_dir      (const gchar *dir);

/* Runs @suite with the verbosity of CK_VERBOSITY (TAP goes wherever
 * CK_TAP_LOG_FILE_NAME says) and returns the process exit status. */
int tu_run_suite (Suite *suite);

/* A new test case with a generous timeout. */
TCase *tu_tcase (const char *name);

G_END_DECLS
