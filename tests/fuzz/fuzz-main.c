/* fuzz-main.c: runs a fuzz target over corpus files, without libFuzzer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Replays the kept corpus (and any crash reproducer added to it) in the
 * ordinary test run, under valgrind or ASan when the tests are. Prints TAP.
 */
#include <glib.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
main (int argc, char **argv)
{
  guint n = 0;
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
      const gchar *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *path = g_build_filename (argv[i], name, NULL);
          g_autofree gchar *contents = NULL;
          gsize length = 0;
          if (!g_file_get_contents (path, &contents, &length, NULL))
            continue;
          LLVMFuzzerTestOneInput ((const guint8 *) contents, length);
          printf ("ok %u - %s\n", ++n, path);
        }
    }
  printf ("1..%u\n", n);
  return n > 0 ? 0 : 1;
}
