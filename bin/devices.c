/* devices.c: `cnnfilt devices`
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cli.h"

#include <stdio.h>

/* One JSON object per line: the spec and what the device says of itself. */
static void
print_json (CnnfiltDevice *device)
{
  g_autofree gchar *platform = NULL, *type = NULL, *version = NULL, *driver = NULL;
  guint units = 0;
  guint64 global = 0, local = 0;
  g_object_get (device, "platform", &platform, "device-type", &type, "version", &version,
                "driver", &driver, "compute-units", &units, "global-memory", &global,
                "local-memory", &local, NULL);
  g_autoptr (GString) out = g_string_new ("{\"spec\": ");
  cli_json_string (out, cnnfilt_device_get_name (device));
  g_string_append (out, ", \"kind\": ");
  cli_json_string (out, cnnfilt_device_get_kind (device) == CNNFILT_DEVICE_KIND_CPU ? "cpu" : "opencl");
  g_string_append (out, ", \"description\": ");
  cli_json_string (out, cnnfilt_device_get_description (device));
  g_string_append (out, ", \"platform\": ");
  cli_json_string (out, platform);
  g_string_append (out, ", \"type\": ");
  cli_json_string (out, type);
  g_string_append_printf (out, ", \"compute_units\": %u, \"global_memory\": %" G_GUINT64_FORMAT
                          ", \"local_memory\": %" G_GUINT64_FORMAT ", \"version\": ",
                          units, global, local);
  cli_json_string (out, version);
  g_string_append (out, ", \"driver\": ");
  cli_json_string (out, driver);
  g_string_append (out, "}\n");
  fputs (out->str, stdout);
}

int
command_devices (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "One JSON object per line: spec, kind, description, platform, type, compute_units, "
      "global_memory, local_memory (bytes), version, driver", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— list the devices ops can run on");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
      "A device is chosen with --device SPEC or CNNFILT_DEVICE=SPEC: cpu; opencl (the first\n"
      "GPU, else the first OpenCL device); opencl:P:D (device D of platform P, as listed);\n"
      "or a part of one OpenCL device's name.\n");
  if (!cli_parse (context, &argc, &argv, "devices"))
    return EXIT_USAGE;
  g_autolist (CnnfiltDevice) devices = cnnfilt_device_enumerate ();
  for (GList *l = devices; l != NULL; l = l->next)
    {
      CnnfiltDevice *device = l->data;
      if (json)
        print_json (device);
      else
        printf ("%s: %s\n", cnnfilt_device_get_name (device), cnnfilt_device_get_description (device));
    }
  return EXIT_OK;
}
