/* ops.c: `cnnfilt ops` and `cnnfilt inspect OP`, read from the ops' own
 * class data and GParamSpecs, never from a second description
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cli.h"

#include <stdio.h>

static const gchar *
type_label (GParamSpec *spec)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (spec);
  if (G_TYPE_IS_ENUM (type))
    return "enum";
  if (g_type_is_a (type, CNNFILT_TYPE_TENSOR))
    return "tensor (.npy file)";
  if (!(spec->flags & G_PARAM_READABLE))
    return "int, write-only";
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN: return "boolean";
    case G_TYPE_INT: return "int";
    case G_TYPE_UINT: return "uint";
    case G_TYPE_FLOAT: return "float";
    case G_TYPE_DOUBLE: return "double";
    case G_TYPE_STRING: return "string";
    default: return g_type_name (type);
    }
}

/* "x, y, magnitude" or "1 to 500", or NULL where any value goes */
static gchar *
range_text (GParamSpec *spec)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (spec);
  if (G_TYPE_IS_ENUM (type))
    {
      GEnumClass *klass = G_PARAM_SPEC_ENUM (spec)->enum_class;
      GString *text = g_string_new (NULL);
      for (guint i = 0; i < klass->n_values; i++)
        g_string_append_printf (text, "%s%s", i ? ", " : "", klass->values[i].value_nick);
      return g_string_free (text, FALSE);
    }
  if (G_IS_PARAM_SPEC_INT (spec))
    return g_strdup_printf ("%d to %d", G_PARAM_SPEC_INT (spec)->minimum, G_PARAM_SPEC_INT (spec)->maximum);
  if (G_IS_PARAM_SPEC_UINT (spec))
    return g_strdup_printf ("%u to %u", G_PARAM_SPEC_UINT (spec)->minimum, G_PARAM_SPEC_UINT (spec)->maximum);
  if (G_IS_PARAM_SPEC_FLOAT (spec))
    return g_strdup_printf ("%g to %g", G_PARAM_SPEC_FLOAT (spec)->minimum, G_PARAM_SPEC_FLOAT (spec)->maximum);
  if (G_IS_PARAM_SPEC_DOUBLE (spec))
    return g_strdup_printf ("%g to %g", G_PARAM_SPEC_DOUBLE (spec)->minimum, G_PARAM_SPEC_DOUBLE (spec)->maximum);
  if (G_IS_PARAM_SPEC_BOOLEAN (spec))
    return g_strdup ("true, false");
  return NULL;
}

static gchar *
default_text (GParamSpec *spec)
{
  return cnnfilt_value_to_string (g_param_spec_get_default_value (spec));
}

static void
op_json (GString *out, CnnfiltOp *op)
{
  g_string_append (out, "{\"name\": ");
  cli_json_string (out, cnnfilt_op_get_name (op));
  g_string_append (out, ", \"description\": ");
  cli_json_string (out, cnnfilt_op_get_description (op));
  g_string_append_printf (out, ", \"inputs\": %u, \"opencl\": %s, \"properties\": [",
                          cnnfilt_op_get_n_inputs (op),
                          cnnfilt_op_runs_on (op, CNNFILT_DEVICE_KIND_OPENCL) ? "true" : "false");
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *range = range_text (specs[i]);
      g_autofree gchar *def = default_text (specs[i]);
      g_string_append (out, i ? ", {\"name\": " : "{\"name\": ");
      cli_json_string (out, specs[i]->name);
      g_string_append (out, ", \"type\": ");
      cli_json_string (out, type_label (specs[i]));
      g_string_append (out, ", \"default\": ");
      cli_json_string (out, def);
      if (range)
        {
          g_string_append (out, ", \"range\": ");
          cli_json_string (out, range);
        }
      g_string_append (out, ", \"description\": ");
      cli_json_string (out, g_param_spec_get_blurb (specs[i]));
      g_string_append (out, "}");
    }
  g_string_append (out, "]}");
}

int
command_ops (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Every op with all its properties, as JSON", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— list the operators");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!cli_parse (context, &argc, &argv, "ops"))
    return EXIT_USAGE;

  g_auto (GStrv) names = cnnfilt_registry_list_ops ();
  if (names[0] == NULL)
    {
      cli_error ("no operators found: no plugins in CNNFILT_PLUGIN_PATH or the install folder");
      return EXIT_INPUT_FAILED;
    }
  g_autoptr (GString) out = g_string_new (json ? "[\n" : NULL);
  for (gchar **name = names; *name != NULL; name++)
    {
      g_autoptr (CnnfiltOp) op = cnnfilt_op_new (*name, NULL);
      if (json)
        {
          g_string_append (out, "  ");
          op_json (out, op);
          g_string_append (out, name[1] ? ",\n" : "\n");
        }
      else
        g_string_append_printf (out, "%-14s %s\n", *name, cnnfilt_op_get_description (op));
    }
  if (json)
    g_string_append (out, "]\n");
  fputs (out->str, stdout);
  return EXIT_OK;
}

int
command_inspect (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print as JSON", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("OP — show an operator's properties");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!cli_parse (context, &argc, &argv, "inspect"))
    return EXIT_USAGE;
  if (argc != 2)
    {
      cli_error ("inspect: give one op name (see 'cnnfilt ops')");
      return EXIT_USAGE;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new (argv[1], &error);
  if (op == NULL)
    {
      cli_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      op_json (out, op);
      printf ("%s\n", out->str);
      return EXIT_OK;
    }

  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  printf ("%s — %s\n\n", klass->name, klass->description);
  if (klass->n_inputs == 0)
    printf ("Inputs: one or more\n");
  else
    printf ("Inputs: %u\n", klass->n_inputs);
  if (klass->onnx_op_type)
    printf ("ONNX op_type: %s\n", klass->onnx_op_type);
  printf ("Devices: cpu%s\n", cnnfilt_op_runs_on (op, CNNFILT_DEVICE_KIND_OPENCL) ? ", opencl" : "");
  printf ("Type: %s\n\nProperties:\n", G_OBJECT_TYPE_NAME (op));
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
  if (n == 0)
    printf ("  none\n");
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *range = range_text (specs[i]);
      g_autofree gchar *def = default_text (specs[i]);
      printf ("  %-12s %s%s%s%s, default: %s\n", specs[i]->name, type_label (specs[i]),
              range ? " (" : "", range ? range : "", range ? ")" : "", def);
      printf ("  %-12s %s\n\n", "", g_param_spec_get_blurb (specs[i]));
    }
  if (klass->example != NULL)
    printf ("Example:\n  cnnfilt run '%s' -o out/ photos/\n", klass->example);
  else if (klass->n_inputs != 1)
    printf ("Takes %s inputs, so it is not a pipeline stage: graphs built with\n"
            "cnnfilt_graph_add_node() (C, Python) and ONNX models use it.\n",
            klass->n_inputs == 0 ? "one or more" : "several");
  else
    printf ("Example:\n  cnnfilt run '%s%s' -o out/ photos/\n",
            g_str_equal (klass->name, "grayscale") ? "" : "grayscale ! ", klass->name);
  return EXIT_OK;
}
