/* devices.c: `cnnfilt devices`
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cli.h"

#include <stdio.h>

int
command_devices (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— list the devices ops can run on");
  if (!cli_parse (context, &argc, &argv, "devices"))
    return EXIT_USAGE;
  g_auto (GStrv) devices = cnnfilt_device_list ();
  for (gchar **line = devices; *line != NULL; line++)
    printf ("%s\n", *line);
  return EXIT_OK;
}
