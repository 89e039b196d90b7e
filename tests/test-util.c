/* test-util.c: helpers shared by the Check suites
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

CnnfiltTensor *
tu_tensor_at (const char *file, int line, const gfloat *values, gsize n_values,
              guint n, guint c, guint h, guint w)
{
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *tensor = cnnfilt_tensor_new_from_data (values, n_values, n, c, h, w, &error);
  if (tensor == NULL)
    _ck_assert_failed (file, line, "tensor", "cannot make a %ux%ux%ux%u tensor: %s",
                       n, c, h, w, error ? error->message : "(no error)");
  return tensor;
}

CnnfiltDevice *
tu_opencl_device (void)
{
  static gsize once = 0;
  static CnnfiltDevice *device = NULL;
  if (g_once_init_enter (&once))
    {
      const gchar *spec = g_getenv ("CNNFILT_TEST_OPENCL");
      if (g_strcmp0 (spec, "0") != 0)
        device = cnnfilt_device_new_from_string (spec != NULL && *spec ? spec : "opencl", NULL);
      g_once_init_leave (&once, 1);
    }
  return device;
}

void
tu_assert_close_at (const char *file, int line, const char *what, CnnfiltTensor *expected,
                    CnnfiltTensor *got, gdouble relative)
{
  CnnfiltShape want, have;
  cnnfilt_tensor_get_shape (expected, &want);
  cnnfilt_tensor_get_shape (got, &have);
  if (!cnnfilt_shape_equal (&want, &have))
    _ck_assert_failed (file, line, what, "%s: shape %ux%ux%ux%u, expected %ux%ux%ux%u", what,
                       have.n, have.c, have.h, have.w, want.n, want.c, want.h, want.w);
  gsize size = 0;
  g_autofree gfloat *a = cnnfilt_tensor_get_values (expected, &size);
  g_autofree gfloat *b = cnnfilt_tensor_get_values (got, &size);
  gdouble scale = 0;
  for (gsize i = 0; i < size; i++)
    if (isfinite (a[i]))
      scale = MAX (scale, fabs (a[i]));
  gdouble bound = relative * MAX (scale, 1e-30);
  for (gsize i = 0; i < size; i++)
    {
      gboolean same = isfinite (a[i]) ? fabs ((gdouble) a[i] - b[i]) <= bound
                                      : (isnan (a[i]) ? isnan (b[i]) : a[i] == b[i]);
      if (!same)
        _ck_assert_failed (file, line, what, "%s: value %" G_GSIZE_FORMAT " is %.9g, expected "
                           "%.9g (within %g of the largest magnitude, %.9g)", what, i, b[i], a[i],
                           relative, scale);
    }
}

/* The same pipeline on the OpenCL device, compared with the CPU's result. */
static void
compare_on_opencl (const char *file, int line, const gchar *pipeline, CnnfiltTensor *input,
                   CnnfiltTensor *cpu)
{
  CnnfiltDevice *device = tu_opencl_device ();
  if (device == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (pipeline, &error);
  cnnfilt_graph_set_device (graph, device);
  g_autoptr (CnnfiltTensor) output = cnnfilt_graph_process (graph, input, &error);
  if (output == NULL)
    _ck_assert_failed (file, line, "run", "'%s' fails on %s: %s", pipeline,
                       cnnfilt_device_get_name (device), error ? error->message : "(no error)");
  g_autofree gchar *what = g_strdup_printf ("'%s' on %s", pipeline, cnnfilt_device_get_name (device));
  tu_assert_close_at (file, line, what, cpu, output, TU_OPENCL_TOLERANCE);
}

CnnfiltTensor *
tu_run_at (const char *file, int line, const gchar *pipeline, CnnfiltTensor *input)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (pipeline, &error);
  if (graph == NULL)
    _ck_assert_failed (file, line, "parse", "'%s' does not parse: %s", pipeline,
                       error ? error->message : "(no error)");
  CnnfiltTensor *output = cnnfilt_graph_process (graph, input, &error);
  if (output == NULL)
    _ck_assert_failed (file, line, "run", "'%s' fails: %s", pipeline,
                       error ? error->message : "(no error)");
  compare_on_opencl (file, line, pipeline, input, output);
  return output;
}

CnnfiltTensor *
tu_run_values_at (const char *file, int line, const gchar *pipeline, const gfloat *values,
                  gsize n_values, guint n, guint c, guint h, guint w)
{
  g_autoptr (CnnfiltTensor) input = tu_tensor_at (file, line, values, n_values, n, c, h, w);
  return tu_run_at (file, line, pipeline, input);
}

GError *
tu_run_error_at (const char *file, int line, const gchar *pipeline, CnnfiltTensor *input)
{
  GError *error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (pipeline, &error);
  if (graph == NULL)
    {
      if (error == NULL)
        _ck_assert_failed (file, line, "parse", "'%s': NULL graph without an error", pipeline);
      return error;
    }
  if (input == NULL)
    _ck_assert_failed (file, line, "parse", "'%s' parses, an error was expected", pipeline);
  g_autoptr (CnnfiltTensor) output = cnnfilt_graph_process (graph, input, &error);
  if (output != NULL)
    _ck_assert_failed (file, line, "run", "'%s' runs, an error was expected", pipeline);
  if (error == NULL)
    _ck_assert_failed (file, line, "run", "'%s': NULL output without an error", pipeline);
  /* and the same error on OpenCL */
  CnnfiltDevice *device = tu_opencl_device ();
  if (device != NULL)
    {
      g_autoptr (GError) cl_error = NULL;
      cnnfilt_graph_set_device (graph, device);
      g_autoptr (CnnfiltTensor) cl_output = cnnfilt_graph_process (graph, input, &cl_error);
      if (cl_output != NULL || cl_error == NULL || cl_error->code != error->code)
        _ck_assert_failed (file, line, "run", "'%s' on %s: %s, expected the CPU's error: %s",
                           pipeline, cnnfilt_device_get_name (device),
                           cl_error ? cl_error->message : "no error", error->message);
    }
  return error;
}

void
tu_assert_tensor_at (const char *file, int line, CnnfiltTensor *tensor,
                     guint n, guint c, guint h, guint w,
                     const gfloat *expected, gsize n_expected, gdouble tolerance)
{
  if (tensor == NULL)
    _ck_assert_failed (file, line, "tensor", "the tensor is NULL");
  CnnfiltShape want = { n, c, h, w }, got;
  cnnfilt_tensor_get_shape (tensor, &got);
  if (!cnnfilt_shape_equal (&want, &got))
    {
      g_autofree gchar *a = cnnfilt_shape_to_string (&want);
      g_autofree gchar *b = cnnfilt_shape_to_string (&got);
      _ck_assert_failed (file, line, "shape", "shape: expected %s, got %s", a, b);
    }
  if (n_expected != cnnfilt_shape_get_size (&want))
    _ck_assert_failed (file, line, "test", "the test gives %" G_GSIZE_FORMAT " expected values "
                       "for %ux%ux%ux%u", n_expected, n, c, h, w);
  gsize size = 0;
  const gfloat *values = cnnfilt_tensor_get_data (tensor, &size);
  for (gsize i = 0; i < size; i++)
    {
      gdouble diff = fabs ((gdouble) values[i] - (gdouble) expected[i]);
      if (!(diff <= tolerance)) /* also catches NaN */
        _ck_assert_failed (file, line, "value",
                           "index %" G_GSIZE_FORMAT " (n %" G_GSIZE_FORMAT " c %" G_GSIZE_FORMAT
                           " y %" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT "): expected %.9g, got %.9g "
                           "(tolerance %g)", i, i / ((gsize) c * h * w), i / ((gsize) h * w) % c,
                           i / w % h, i % w, expected[i], values[i], tolerance);
    }
}

void
tu_assert_tensors_equal_at (const char *file, int line, CnnfiltTensor *expected,
                            CnnfiltTensor *got, gdouble tolerance)
{
  if (expected == NULL || got == NULL)
    _ck_assert_failed (file, line, "tensor", "a tensor is NULL");
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (expected, &shape);
  gsize size = 0;
  const gfloat *values = cnnfilt_tensor_get_data (expected, &size);
  tu_assert_tensor_at (file, line, got, shape.n, shape.c, shape.h, shape.w, values, size,
                       tolerance);
}

void
tu_assert_near_at (const char *file, int line, const char *what, gdouble expected,
                   gdouble actual, gdouble tolerance)
{
  if (!(fabs (expected - actual) <= tolerance))
    _ck_assert_failed (file, line, what, "%s: expected %.9g, got %.9g (tolerance %g)", what,
                       expected, actual, tolerance);
}

void
tu_assert_error_at (const char *file, int line, const GError *error, gint code, ...)
{
  if (error == NULL)
    _ck_assert_failed (file, line, "error", "an error was expected, none was set");
  if (error->domain != CNNFILT_ERROR || error->code != code)
    _ck_assert_failed (file, line, "error", "expected CNNFILT_ERROR code %d, got %s code %d: %s",
                       code, g_quark_to_string (error->domain), error->code, error->message);
  va_list args;
  va_start (args, code);
  const gchar *part;
  while ((part = va_arg (args, const gchar *)) != NULL)
    if (strstr (error->message, part) == NULL)
      {
        va_end (args);
        _ck_assert_failed (file, line, "message", "the message '%s' does not contain '%s'",
                           error->message, part);
      }
  va_end (args);
}

void
tu_assert_contains_at (const char *file, int line, const gchar *text, const gchar *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    _ck_assert_failed (file, line, "contains", "'%s' does not contain '%s'",
                       text ? text : "(null)", part);
}

/* Log capture */

typedef struct {
  GLogLevelFlags level;
  gchar *domain;
  gchar *message;
} LogEntry;

static GPtrArray *log_entries;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  LogEntry *entry = g_new0 (LogEntry, 1);
  entry->level = level & G_LOG_LEVEL_MASK;
  for (gsize i = 0; i < n_fields; i++)
    {
      const gchar *value = fields[i].value;
      gsize length = fields[i].length < 0 ? strlen (value) : (gsize) fields[i].length;
      if (g_str_equal (fields[i].key, "MESSAGE"))
        entry->message = g_strndup (value, length);
      else if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        entry->domain = g_strndup (value, length);
    }
  if (entry->message == NULL)
    entry->message = g_strdup ("");
  g_ptr_array_add (log_entries, entry);
  /* Still shown in the test's log, so a failure can be understood. */
  if (entry->level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                      G_LOG_LEVEL_MESSAGE))
    return g_log_writer_standard_streams (level, fields, n_fields, data);
  return G_LOG_WRITER_HANDLED;
}

void
tu_log_capture_start (void)
{
  if (log_entries != NULL)
    return;
  log_entries = g_ptr_array_new ();
  g_log_set_writer_func (capture_writer, NULL, NULL);
}

guint
tu_log_count (GLogLevelFlags level, const gchar *domain, const gchar *part)
{
  guint count = 0;
  for (guint i = 0; log_entries != NULL && i < log_entries->len; i++)
    {
      LogEntry *entry = log_entries->pdata[i];
      if ((entry->level & level) && (domain == NULL || g_strcmp0 (entry->domain, domain) == 0) &&
          (part == NULL || strstr (entry->message, part) != NULL))
        count++;
    }
  return count;
}

gchar *
tu_log_dump (void)
{
  GString *text = g_string_new (NULL);
  for (guint i = 0; log_entries != NULL && i < log_entries->len; i++)
    {
      LogEntry *entry = log_entries->pdata[i];
      g_string_append_printf (text, "[%s level %d] %s\n", entry->domain ? entry->domain : "-",
                              entry->level, entry->message);
    }
  return g_string_free (text, FALSE);
}

/* Files */

static gsize
status_kb (const gchar *field)
{
  g_autofree gchar *status = NULL;
  ck_assert (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  const gchar *line = strstr (status, field);
  ck_assert_msg (line != NULL, "no %s in /proc/self/status", field);
  return g_ascii_strtoull (line + strlen (field), NULL, 10);
}

gsize
tu_resident_kb (void)
{
  return status_kb ("VmRSS:");
}

gsize
tu_peak_kb (void)
{
  return status_kb ("VmHWM:");
}

gboolean
tu_reset_peak_memory (void)
{
  FILE *file = fopen ("/proc/self/clear_refs", "w");
  if (file == NULL)
    return FALSE;
  gboolean ok = fputs ("5", file) >= 0;
  return fclose (file) == 0 && ok;
}

gchar *
tu_make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  gchar *dir = g_dir_make_tmp ("cnnfilt-test-XXXXXX", &error);
  ck_assert_msg (dir != NULL, "cannot make a temporary folder: %s",
                 error ? error->message : "?");
  return dir;
}

void
tu_remove_tree (const gchar *path)
{
  if (path == NULL)
    return;
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const gchar *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *child = g_build_filename (path, name, NULL);
          tu_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

gchar *
tu_list_dir (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  ck_assert_msg (dir != NULL, "cannot list %s", path);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (gchar **) names->pdata);
}

/* Running */

TCase *
tu_tcase (const char *name)
{
  TCase *tcase = tcase_create (name);
  /* CK_DEFAULT_TIMEOUT, when set, overrides this (and CK_TIMEOUT_MULTIPLIER scales it). */
  if (g_getenv ("CK_DEFAULT_TIMEOUT") == NULL)
    tcase_set_timeout (tcase, 120);
  return tcase;
}

int
tu_run_suite (Suite *suite)
{
  SRunner *runner = srunner_create (suite);
  srunner_run_all (runner, CK_ENV);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? 0 : 1;
}
