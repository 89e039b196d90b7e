/* test-registry.c: plugin discovery and ops by name
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The registry initialises once per process, so the test of discovery must
 * run before anything else touches the library: Check's fork mode gives
 * each test a fresh process, and in CK_FORK=no mode the discovery test is
 * the first of the suite.
 */
#include "test-util.h"

#include <glib/gstdio.h>
#include <string.h>

static const gchar *const all_ops[] = {
  "box-blur", "emboss", "gaussian-blur", "grayscale", "invert", "kernel", "laplacian",
  "normalize", "prewitt", "resize", "scharr", "sharpen", "sobel", "threshold",
};

static void
write_file (const gchar *path, const gchar *contents, gssize length)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (g_file_set_contents (path, contents, length, &error), "%s: %s", path,
                 error ? error->message : "");
}

static void
copy_file (const gchar *from, const gchar *to)
{
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;
  ck_assert_msg (g_file_get_contents (from, &contents, &length, &error), "%s: %s", from,
                 error ? error->message : "");
  write_file (to, contents, length);
}

START_TEST (test_broken_plugins_skipped)
{
  /* A plugin folder of things that are not plugins:
   *   libbroken.so    text, not ELF
   *   libempty.so     zero bytes
   *   libforeign.so   a real shared module without the plugin symbols
   *   libwrongabi.so  the symbols, but another plugin ABI version
   *   sub/libnested.so  garbage one folder down (searched too)
   *   README          not a module name: ignored without a word */
  g_autofree gchar *dir = tu_make_temp_dir ();
  g_autofree gchar *broken = g_build_filename (dir, "libbroken.so", NULL);
  g_autofree gchar *empty = g_build_filename (dir, "libempty.so", NULL);
  g_autofree gchar *foreign = g_build_filename (dir, "libforeign.so", NULL);
  g_autofree gchar *wrong_abi = g_build_filename (dir, "libwrongabi.so", NULL);
  g_autofree gchar *sub = g_build_filename (dir, "sub", NULL);
  g_autofree gchar *nested = g_build_filename (sub, "libnested.so", NULL);
  g_autofree gchar *readme = g_build_filename (dir, "README", NULL);
  write_file (broken, "this is not an ELF file\n\x7f\x01\x02garbage", -1);
  write_file (empty, "", 0);
  copy_file (FOREIGN_MODULE, foreign);
  copy_file (WRONG_ABI_MODULE, wrong_abi);
  ck_assert_int_eq (g_mkdir (sub, 0755), 0);
  write_file (nested, "\x7f" "ELF but not really", -1);
  write_file (readme, "plugins go here\n", -1);

  /* Before the first call into the library. Warnings must not be fatal
   * here, whatever G_DEBUG says. */
  const gchar *previous = g_getenv ("CNNFILT_PLUGIN_PATH");
  g_autofree gchar *path = previous && *previous ? g_strconcat (dir, ":", previous, NULL)
                                                 : g_strdup (dir);
  g_setenv ("CNNFILT_PLUGIN_PATH", path, TRUE);
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  tu_log_capture_start ();

  ck_assert (cnnfilt_init (NULL));

  /* the real plugins are still there */
  ck_assert_msg (cnnfilt_registry_lookup ("sobel") != G_TYPE_INVALID, "no sobel; log:\n%s",
                 tu_log_dump ());
  ck_assert (cnnfilt_registry_lookup ("grayscale") != G_TYPE_INVALID);
  /* and work: Sobel x of a step, replicate border, (1 + 2 + 1) · (right − left) */
  const gfloat values[] = { 0, 0, 1, 1 };
  const gfloat expected[] = { 0, 4, 4, 0 };
  g_autoptr (CnnfiltTensor) out = tu_run_values ("sobel direction=x", values, 1, 1, 1, 4);
  tu_assert_tensor (out, 1, 1, 1, 4, expected, 1e-6);

  /* one warning naming each bad file, in the library's log domain */
  const gchar *bad[] = { broken, empty, foreign, wrong_abi, nested };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    ck_assert_msg (tu_log_count (G_LOG_LEVEL_WARNING, "Cnnfilt", bad[i]) == 1,
                   "expected one warning naming %s; log:\n%s", bad[i], tu_log_dump ());
  ck_assert_msg (tu_log_count (G_LOG_LEVEL_WARNING, NULL, "README") == 0,
                 "README was tried as a plugin; log:\n%s", tu_log_dump ());
  /* what is wrong with each, in words */
  ck_assert_msg (tu_log_count (G_LOG_LEVEL_WARNING, NULL, "not a cnnfilt plugin") >= 1,
                 "log:\n%s", tu_log_dump ());
  ck_assert_msg (tu_log_count (G_LOG_LEVEL_WARNING, NULL, "ABI") >= 1, "log:\n%s", tu_log_dump ());
  /* and nothing but those */
  ck_assert_msg (tu_log_count (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL, NULL, NULL) == 5,
                 "unexpected warnings; log:\n%s", tu_log_dump ());

  /* later calls do not load again */
  ck_assert (cnnfilt_init (NULL));
  ck_assert_uint_eq (tu_log_count (G_LOG_LEVEL_WARNING, NULL, NULL), 5);
  tu_remove_tree (dir);
}
END_TEST

START_TEST (test_load_plugin_errors)
{
  g_autofree gchar *dir = tu_make_temp_dir ();
  g_autofree gchar *broken = g_build_filename (dir, "libbroken.so", NULL);
  g_autofree gchar *missing = g_build_filename (dir, "libmissing.so", NULL);
  write_file (broken, "not a module", -1);

  static const struct {
    const gchar *what;
    const gchar *part;
  } cases[] = {
    { "broken", "not a loadable module" },
    { "missing", "not a loadable module" },
    { "foreign", "not a cnnfilt plugin" },
    { "wrong-abi", "ABI" },
  };
  const gchar *paths[] = { broken, missing, FOREIGN_MODULE, WRONG_ABI_MODULE };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      ck_assert_msg (!cnnfilt_registry_load_plugin (paths[i], &error), "%s loads", cases[i].what);
      tu_assert_error (error, CNNFILT_ERROR_PLUGIN, paths[i], cases[i].part);
      /* the path comes first */
      ck_assert_msg (g_str_has_prefix (error->message, paths[i]), "'%s' does not start with %s",
                     error->message, paths[i]);
    }

  /* a plugin already loaded: fine, and nothing changes */
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_registry_load_plugin (CLASSIC_PLUGIN, &error), "%s",
                 error ? error->message : "");
  ck_assert (cnnfilt_registry_lookup ("sobel") != G_TYPE_INVALID);
  tu_remove_tree (dir);
}
END_TEST

START_TEST (test_op_new_unknown)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new ("nope", &error);
  ck_assert_ptr_null (op);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "unknown op 'nope'");
  ck_assert (cnnfilt_registry_lookup ("nope") == G_TYPE_INVALID);
  g_clear_error (&error);

  g_autoptr (CnnfiltOp) op2 = cnnfilt_op_new ("sobell", &error);
  ck_assert_ptr_null (op2);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "unknown op 'sobell'",
                   "did you mean 'sobel'");
  g_clear_error (&error);

  /* names are exact */
  g_autoptr (CnnfiltOp) op3 = cnnfilt_op_new ("Sobel", &error);
  ck_assert_ptr_null (op3);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "'Sobel'");
}
END_TEST

START_TEST (test_list_ops)
{
  g_auto (GStrv) names = cnnfilt_registry_list_ops ();
  guint n = g_strv_length (names);
  ck_assert_uint_ge (n, G_N_ELEMENTS (all_ops));
  for (guint i = 0; i < G_N_ELEMENTS (all_ops); i++)
    ck_assert_msg (g_strv_contains ((const gchar *const *) names, all_ops[i]), "no op %s",
                   all_ops[i]);
  for (guint i = 1; i < n; i++)
    ck_assert_msg (strcmp (names[i - 1], names[i]) < 0, "not sorted or repeated: %s, %s",
                   names[i - 1], names[i]);
}
END_TEST

START_TEST (test_op_metadata)
{
  /* every op: its name, a description, one input, and properties with a
   * nick, a blurb and a default that reads back */
  for (guint i = 0; i < G_N_ELEMENTS (all_ops); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltOp) op = cnnfilt_op_new (all_ops[i], &error);
      ck_assert_msg (op != NULL, "%s: %s", all_ops[i], error ? error->message : "");
      ck_assert (CNNFILT_IS_OP (op));
      ck_assert_str_eq (cnnfilt_op_get_name (op), all_ops[i]);
      ck_assert_msg (cnnfilt_op_get_description (op) && *cnnfilt_op_get_description (op),
                     "%s has no description", all_ops[i]);
      ck_assert_uint_eq (cnnfilt_op_get_n_inputs (op), 1);
      ck_assert (cnnfilt_registry_lookup (all_ops[i]) == G_OBJECT_TYPE (op));

      guint n = 0;
      g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
      for (guint j = 0; j < n; j++)
        {
          const gchar *name = specs[j]->name;
          const gchar *nick = g_param_spec_get_nick (specs[j]);
          const gchar *blurb = g_param_spec_get_blurb (specs[j]);
          ck_assert_msg (nick && *nick && blurb && *blurb && !g_str_equal (blurb, name),
                         "%s: %s has no nick or blurb", all_ops[i], name);
          g_autofree gchar *text = cnnfilt_op_get_property_as_string (op, name);
          ck_assert_msg (text != NULL, "%s: %s unreadable", all_ops[i], name);
          ck_assert_msg (cnnfilt_op_set_property_from_string (op, name, text, &error),
                         "%s: %s: its own default '%s' does not read back: %s", all_ops[i], name,
                         text, error ? error->message : "");
          g_autofree gchar *again = cnnfilt_op_get_property_as_string (op, name);
          ck_assert_str_eq (again, text);
        }
    }
}
END_TEST

static Suite *
registry_suite (void)
{
  Suite *suite = suite_create ("registry");
  TCase *tc = tu_tcase ("registry");
  /* first: see the comment at the top */
  tcase_add_test (tc, test_broken_plugins_skipped);
  tcase_add_test (tc, test_load_plugin_errors);
  tcase_add_test (tc, test_op_new_unknown);
  tcase_add_test (tc, test_list_ops);
  tcase_add_test (tc, test_op_metadata);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  return tu_run_suite (registry_suite ());
}
