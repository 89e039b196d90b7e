/* run.c: `cnnfilt run PIPELINE -o DIR INPUT…`
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cli.h"

int
command_run (int argc, char **argv)
{
  BatchOptions options;
  batch_options_init (&options, TRUE, 6);
  g_autofree GOptionEntry *entries = batch_option_entries (&options);
  g_autoptr (GOptionContext) context = g_option_context_new ("PIPELINE INPUT… — run a pipeline over images");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "PIPELINE is ops separated by '!', each with property=value pairs:\n"
      "  'grayscale ! sobel direction=x ! normalize'\n"
      "INPUT is image files and folders; folders are walked recursively.\n"
      "'cnnfilt ops' lists the ops, 'cnnfilt inspect OP' their properties.");
  g_option_context_set_description (
      context,
      "Results keep the input's format unless --format is given; each is written under a\n"
      "temporary name and renamed, and no input is ever overwritten. A file that fails is\n"
      "reported as 'PATH: reason' on stderr and the others go on; the exit status is then 1.");
  int status = EXIT_USAGE;
  if (cli_parse (context, &argc, &argv, "run"))
    {
      if (argc < 2)
        cli_error ("run: give a pipeline and inputs (see 'cnnfilt run --help')");
      else
        status = batch_run (argv[1], &options, argv + 2);
    }
  batch_options_clear (&options);
  return status;
}
