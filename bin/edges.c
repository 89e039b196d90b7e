/* edges.c: `cnnfilt edges -o DIR INPUT…`, the batch edge detection preset
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cli.h"

#include <string.h>

int
command_edges (int argc, char **argv)
{
  BatchOptions options;
  /* zlib level 1: edge maps are mostly dark and compress well at any level,
   * and level 6 takes about four times as long to write. */
  batch_options_init (&options, TRUE, 1);
  g_autofree gchar *method = NULL;
  gboolean normalize = FALSE, invert = FALSE;
  g_autofree GOptionEntry *entries = batch_option_entries (&options);
  GOptionEntry preset[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method,
      "sobel (default), scharr, prewitt or laplacian", "METHOD" },
    { "normalize", 'n', 0, G_OPTION_ARG_NONE, &normalize,
      "Stretch each result to the full range instead of clamping strong edges at white", NULL },
    { "invert", 0, 0, G_OPTION_ARG_NONE, &invert, "Dark edges on white", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("INPUT… — edge maps of images");
  g_option_context_add_main_entries (context, preset, NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "Writes one grey 8-bit PNG edge map per input image: the gradient magnitude\n"
      "sqrt(Gx² + Gy²) of the luma, or |Laplacian|. Equivalent to\n"
      "  cnnfilt run 'grayscale ! sobel' --format png --compression 1 …");
  int status = EXIT_USAGE;
  const gchar *const methods[] = { "sobel", "scharr", "prewitt", "laplacian", NULL };
  const gchar *filter = NULL;
  if (!cli_parse (context, &argc, &argv, "edges"))
    ;
  else if (!g_strv_contains (methods, (filter = method ? method : "sobel")))
    cli_error ("edges: --method %s: expected sobel, scharr, prewitt or laplacian", filter);
  else
    {
      if (options.format == NULL)
        options.format = g_strdup ("png");
      g_autofree gchar *pipeline = g_strdup_printf (
          "grayscale ! %s%s%s%s", filter, g_str_equal (filter, "laplacian") ? " ! abs" : "",
          normalize ? " ! normalize" : "", invert ? " ! invert" : "");
      status = batch_run (pipeline, &options, argv + 1);
    }
  batch_options_clear (&options);
  return status;
}
