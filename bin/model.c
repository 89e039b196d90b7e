/* model.c: `cnnfilt model info MODEL.onnx`, a layer-by-layer summary of an
 * ONNX model: output shapes, parameters, receptive fields and FLOPs
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The receptive field of a tensor along one axis: R input pixels wide, its
 * neighbouring values J input pixels apart. */
typedef struct {
  guint64 size_h, jump_h, size_w, jump_w;
  gboolean global; /* the whole input: after a global pool or a linear layer */
} Field;

typedef struct {
  const gchar *name;
  const gchar *op;
  CnnfiltShape shape;
  guint64 params;
  guint64 flops;
  Field field;
} Layer;

/* 61706 → "61,706", whatever the locale */
static gchar *
thousands (guint64 value)
{
  g_autofree gchar *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

/* Where a windowed op (conv2d, the pools) moves the field; other ops keep
 * it, and a linear layer or global pool sees its whole input. */
static void
op_field (CnnfiltOp *op, Field *field)
{
  CnnfiltOpWindow window;
  if (!cnnfilt_op_get_window (op, &window))
    return;
  if (window.is_global)
    {
      field->global = TRUE;
      return;
    }
  field->size_h += (window.kernel_h - 1) * field->jump_h;
  field->size_w += (window.kernel_w - 1) * field->jump_w;
  field->jump_h *= MAX (window.stride_h, 1);
  field->jump_w *= MAX (window.stride_w, 1);
}

static void
field_merge (Field *into, const Field *from)
{
  into->size_h = MAX (into->size_h, from->size_h);
  into->size_w = MAX (into->size_w, from->size_w);
  into->jump_h = MAX (into->jump_h, from->jump_h);
  into->jump_w = MAX (into->jump_w, from->jump_w);
  into->global |= from->global;
}

static gchar *
field_text (const Field *field, gboolean jump)
{
  if (field->global)
    return g_strdup (jump ? "-" : "global");
  guint64 h = jump ? field->jump_h : field->size_h, w = jump ? field->jump_w : field->size_w;
  if (h == w)
    return g_strdup_printf ("%" G_GUINT64_FORMAT, h);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT, h, w);
}

static gchar *
flops_text (guint64 flops)
{
  if (flops >= 1000000000)
    return g_strdup_printf ("%.2f GFLOPs", flops / 1e9);
  return g_strdup_printf ("%.2f MFLOPs", flops / 1e6);
}

/* --input: NxCxHxW, or HxW for the height and width alone (the other
 * dimensions left 0, to be taken from the model). */
static gboolean
parse_shape (const gchar *text, CnnfiltShape *shape)
{
  g_auto (GStrv) parts = g_strsplit (text, "x", -1);
  guint n = g_strv_length (parts);
  if (n != 4 && n != 2)
    return FALSE;
  guint64 dims[4] = { 0, 0, 0, 0 };
  for (guint i = 0; i < n; i++)
    if (!g_ascii_string_to_unsigned (parts[i], 10, 1, G_MAXINT, &dims[4 - n + i], NULL))
      return FALSE;
  *shape = (CnnfiltShape) { dims[0], dims[1], dims[2], dims[3] };
  return TRUE;
}

/* The dimensions of the input that nothing fixed: neither the model nor
 * the command line. A free batch is 1 and goes unsaid. */
enum { ASSUMED_C = 1 << 0, ASSUMED_H = 1 << 1, ASSUMED_W = 1 << 2 };
static const gchar *const assumed_names[] = { "channels", "height", "width" };

/* The shape to run the model at: each dimension as @given has it (0: not
 * given), else as the model's first input declares it, else assumed (batch
 * 1, 3 channels, 224 high and wide). Returns the ASSUMED_ flags of the
 * channels, height and width that were assumed. */
static guint
resolve_input_shape (CnnfiltGraph *graph, const CnnfiltShape *given, CnnfiltShape *shape)
{
  CnnfiltShape declared = { 0 };
  cnnfilt_graph_get_input_shape (graph, 0, &declared);
  const guint from_user[4] = { given->n, given->c, given->h, given->w };
  const guint from_model[4] = { declared.n, declared.c, declared.h, declared.w };
  const guint fallback[4] = { 1, 3, 224, 224 };
  guint dims[4], assumed = 0;
  for (guint i = 0; i < 4; i++)
    {
      dims[i] = from_user[i] ? from_user[i] : from_model[i] ? from_model[i] : fallback[i];
      if (i > 0 && from_user[i] == 0 && from_model[i] == 0)
        assumed |= 1u << (i - 1);
    }
  *shape = (CnnfiltShape) { dims[0], dims[1], dims[2], dims[3] };
  return assumed;
}

/* "input height and width are free; assumed 224×224" */
static gchar *
assumed_text (guint assumed, const CnnfiltShape *shape)
{
  const guint values[] = { shape->c, shape->h, shape->w };
  g_autoptr (GString) names = g_string_new (NULL), dims = g_string_new (NULL);
  guint count = 0, total = 0;
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    total += (assumed >> i) & 1;
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    if (assumed & (1u << i))
      {
        count++;
        if (count > 1)
          g_string_append (names, count == total ? (total > 2 ? ", and " : " and ") : ", ");
        g_string_append (names, assumed_names[i]);
        g_string_append_printf (dims, "%s%u", count > 1 ? "×" : "", values[i]);
      }
  gboolean plural = total > 1 || assumed == ASSUMED_C;
  return g_strdup_printf ("input %s %s free; assumed %s", names->str, plural ? "are" : "is", dims->str);
}

static void
print_table (GArray *layers, const gchar *path, const CnnfiltShape *input, guint64 params, guint64 flops)
{
  const gchar *heads[] = { "layer", "op", "output", "params", "rf size", "rf jump", "FLOPs" };
  enum { N_COLUMNS = G_N_ELEMENTS (heads) };
  const gboolean right[N_COLUMNS] = { FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE };
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  gsize widths[N_COLUMNS];
  for (guint c = 0; c < N_COLUMNS; c++)
    widths[c] = g_utf8_strlen (heads[c], -1);
  for (guint i = 0; i < layers->len; i++)
    {
      Layer *layer = &g_array_index (layers, Layer, i);
      gchar *row[N_COLUMNS] = {
        g_strdup (layer->name), g_strdup (layer->op), cnnfilt_shape_to_string (&layer->shape),
        thousands (layer->params), field_text (&layer->field, FALSE),
        field_text (&layer->field, TRUE), thousands (layer->flops),
      };
      for (guint c = 0; c < N_COLUMNS; c++)
        {
          widths[c] = MAX (widths[c], (gsize) g_utf8_strlen (row[c], -1));
          g_ptr_array_add (cells, row[c]);
        }
    }
  g_autofree gchar *in = cnnfilt_shape_to_string (input);
  printf ("%s, input %s\n\n", path, in);
  GString *line = g_string_new (NULL);
  for (guint r = 0; r <= layers->len; r++)
    {
      g_string_truncate (line, 0);
      for (guint c = 0; c < N_COLUMNS; c++)
        {
          const gchar *cell = r == 0 ? heads[c] : cells->pdata[(r - 1) * N_COLUMNS + c];
          gsize pad = widths[c] - g_utf8_strlen (cell, -1);
          if (c > 0)
            g_string_append (line, "  ");
          if (right[c])
            g_string_append_printf (line, "%*s%s", (int) pad, "", cell);
          else if (c + 1 < N_COLUMNS)
            g_string_append_printf (line, "%s%*s", cell, (int) pad, "");
          else
            g_string_append (line, cell);
        }
      printf ("%s\n", line->str);
    }
  g_string_free (line, TRUE);
  g_autofree gchar *p = thousands (params);
  g_autofree gchar *f = thousands (flops);
  g_autofree gchar *scaled = flops_text (flops);
  printf ("\nTotal: %s params, %s FLOPs (%s), %u layers\n", p, f, scaled, layers->len);
}

static void
print_json (GArray *layers, const gchar *path, const CnnfiltShape *input, guint assumed,
            guint64 params, guint64 flops)
{
  g_autoptr (GString) out = g_string_new ("{\"model\": ");
  cli_json_string (out, path);
  g_string_append_printf (out, ", \"input\": [%u, %u, %u, %u], \"assumed\": [", input->n, input->c,
                          input->h, input->w);
  for (guint i = 0, k = 0; i < G_N_ELEMENTS (assumed_names); i++)
    if (assumed & (1u << i))
      g_string_append_printf (out, "%s\"%s\"", k++ ? ", " : "", assumed_names[i]);
  g_string_append (out, "], \"layers\": [");
  for (guint i = 0; i < layers->len; i++)
    {
      Layer *layer = &g_array_index (layers, Layer, i);
      g_string_append (out, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
      cli_json_string (out, layer->name);
      g_string_append (out, ", \"op\": ");
      cli_json_string (out, layer->op);
      g_string_append_printf (out, ", \"shape\": [%u, %u, %u, %u], \"params\": %" G_GUINT64_FORMAT
                              ", \"flops\": %" G_GUINT64_FORMAT ", \"receptive_field\": ",
                              layer->shape.n, layer->shape.c, layer->shape.h, layer->shape.w,
                              layer->params, layer->flops);
      const Field *field = &layer->field;
      if (field->global)
        g_string_append (out, "{\"size\": \"global\"}}");
      else
        {
          g_string_append_printf (out, "{\"size\": %" G_GUINT64_FORMAT ", \"jump\": %" G_GUINT64_FORMAT,
                                  field->size_h, field->jump_h);
          if (field->size_w != field->size_h || field->jump_w != field->jump_h)
            g_string_append_printf (out, ", \"size_w\": %" G_GUINT64_FORMAT ", \"jump_w\": %" G_GUINT64_FORMAT,
                                    field->size_w, field->jump_w);
          g_string_append (out, "}}");
        }
    }
  g_string_append_printf (out, "\n], \"total_params\": %" G_GUINT64_FORMAT ", \"total_flops\": %" G_GUINT64_FORMAT "}\n",
                          params, flops);
  fputs (out->str, stdout);
}

/* Loads an ONNX model, or prints "PATH: reason" on stderr and returns NULL. */
CnnfiltGraph *
cli_load_model (const gchar *path)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS) || g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      fprintf (stderr, "%s: %s\n", path, g_strerror (g_file_test (path, G_FILE_TEST_EXISTS) ? EISDIR : ENOENT));
      return NULL;
    }
  g_autoptr (GError) error = NULL;
  CnnfiltGraph *graph = cnnfilt_graph_new_from_onnx_file (path, &error);
  if (graph == NULL)
    {
      /* The importer's messages mostly name the file already, as
       * g_filename_display_name() shows it: the path as given instead. */
      g_autofree gchar *shown = g_filename_display_name (path);
      g_autofree gchar *prefix = g_strconcat (shown, ": ", NULL);
      const gchar *reason = error->message;
      if (g_str_has_prefix (reason, prefix))
        reason += strlen (prefix);
      fprintf (stderr, "%s: %s\n", path, reason);
    }
  return graph;
}

/* The shape of one image the model's first input declares, with batch 1;
 * each dimension it leaves free assumed: 3 channels, 224 high and wide. */
void
cli_model_input_shape (CnnfiltGraph *graph, CnnfiltShape *shape)
{
  const CnnfiltShape none = { 0 };
  resolve_input_shape (graph, &none, shape);
  shape->n = 1;
}

static int
model_info (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree gchar *input_text = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print as JSON, for scripts", NULL },
    { "input", 'i', 0, G_OPTION_ARG_STRING, &input_text,
      "The input's shape, batch × channels × height × width, or its height × width alone "
      "(default: the model's)", "NxCxHxW|HxW" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("MODEL.onnx — a model's layers, parameters and FLOPs");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context,
      "One row per layer (every op node, in running order): its name, op, output\n"
      "shape, parameter count, receptive field and FLOPs; totals at the end.\n"
      "Shapes follow from the input size the model declares; --input gives another,\n"
      "or fills the dimensions the model leaves free. A free batch is 1; free channels\n"
      "are 3, a free height or width 224, said on stderr.");
  g_option_context_set_description (
      context,
      "Parameters: the values of each op's tensor properties (weights, bias, …) and of\n"
      "the constants it reads, less batchnorm's running mean and variance, which\n"
      "PyTorch counts as buffers: the totals equal PyTorch's sum of p.numel().\n"
      "\n"
      "FLOPs: a multiply and an add count as two. conv2d 2·N·O·(C/groups)·kh·kw·Ho·Wo\n"
      "(+ N·O·Ho·Wo with a bias); linear 2·M·N·K; max-pool and avg-pool kh·kw per\n"
      "output value; global pools H·W per output value; elementwise ops (activations,\n"
      "add, mul, batchnorm, softmax) one per output value; reshapes, concat, pad and\n"
      "dropout none.\n"
      "\n"
      "Receptive field, in input pixels: size R and jump J (the distance in the input\n"
      "between neighbouring output values), 1 and 1 at the input. A conv2d or pool\n"
      "with kernel K (dilated: d·(K−1)+1) and stride s gives R = R_in + (K−1)·J_in and\n"
      "J = J_in·s; other ops keep the largest of their inputs'. Global pools and\n"
      "linear layers see the whole input: 'global'. Vertical values are shown, as\n"
      "HxW where the horizontal ones differ.\n"
      "\n"
      "A model that cannot be read, or does not fit the input, is reported as\n"
      "'MODEL: reason' on stderr with exit status 1; a wrong option exits with 2.");
  if (!cli_parse (context, &argc, &argv, "model info"))
    return EXIT_USAGE;
  CnnfiltShape given = { 0 }, input;
  if (input_text != NULL && !parse_shape (input_text, &given))
    {
      cli_error ("model info: --input %s: expected NxCxHxW or HxW, positive numbers such as "
                 "1x3x224x224 or 224x224", input_text);
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      cli_error ("model info: give one ONNX model (see 'cnnfilt model info --help')");
      return EXIT_USAGE;
    }
  const gchar *path = argv[1];
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cli_load_model (path);
  if (graph == NULL)
    return EXIT_INPUT_FAILED;
  guint assumed = resolve_input_shape (graph, &given, &input);
  if (assumed != 0)
    {
      g_autofree gchar *text = assumed_text (assumed, &input);
      fprintf (stderr, "%s: %s (give --input)\n", path, text);
    }
  guint n_inputs = cnnfilt_graph_get_n_inputs (graph);
  g_autofree CnnfiltShape *inputs = g_new (CnnfiltShape, MAX (n_inputs, 1));
  for (guint i = 0; i < n_inputs; i++)
    inputs[i] = input;
  if (!cnnfilt_graph_prepare (graph, inputs, n_inputs, &error))
    {
      g_autofree gchar *shape = cnnfilt_shape_to_string (&input);
      fprintf (stderr, "%s: %s (with input %s; give another with --input)\n", path, error->message, shape);
      return EXIT_INPUT_FAILED;
    }

  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  g_autoptr (GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GHashTable) counted = g_hash_table_new (g_str_hash, g_str_equal); /* constants */
  g_autoptr (GArray) layers = g_array_new (FALSE, TRUE, sizeof (Layer));
  guint64 total_params = 0, total_flops = 0;
  for (gchar **name = names; *name != NULL; name++)
    {
      CnnfiltOp *op = cnnfilt_graph_get_op (graph, *name);
      Field *field = g_new0 (Field, 1);
      g_hash_table_insert (fields, *name, field);
      if (op == NULL)
        {
          /* A graph input, or a constant. */
          *field = (Field) { 1, 1, 1, 1, FALSE };
          continue;
        }
      Layer layer = { .name = *name, .op = cnnfilt_op_get_name (op) };
      cnnfilt_graph_get_node_shape (graph, *name, &layer.shape);
      layer.params = cnnfilt_op_get_n_params (op);
      g_auto (GStrv) node_inputs = cnnfilt_graph_get_node_inputs (graph, *name);
      guint n_node_inputs = node_inputs ? g_strv_length (node_inputs) : 0;
      g_autofree CnnfiltShape *in_shapes = g_new0 (CnnfiltShape, MAX (n_node_inputs, 1));
      guint n_shapes = 0;
      *field = (Field) { 0, 0, 0, 0, FALSE };
      for (gchar **in = node_inputs; in != NULL && *in != NULL; in++)
        {
          CnnfiltTensor *constant = cnnfilt_graph_get_constant (graph, *in);
          if (constant != NULL)
            {
              if (!g_hash_table_contains (counted, *in))
                {
                  g_hash_table_add (counted, *in);
                  layer.params += cnnfilt_tensor_get_size (constant);
                }
              continue; /* a constant does not widen the field */
            }
          if (cnnfilt_graph_get_node_shape (graph, *in, &in_shapes[n_shapes]))
            n_shapes++;
          Field *from = g_hash_table_lookup (fields, *in);
          if (from != NULL)
            field_merge (field, from);
        }
      if (field->jump_h == 0)
        *field = (Field) { 1, 1, 1, 1, field->global };
      op_field (op, field);
      layer.field = *field;
      layer.flops = cnnfilt_op_get_flops (op, in_shapes, n_shapes, &layer.shape);
      total_params += layer.params;
      total_flops += layer.flops;
      g_array_append_val (layers, layer);
    }

  if (json)
    print_json (layers, path, &input, assumed, total_params, total_flops);
  else
    print_table (layers, path, &input, total_params, total_flops);
  return EXIT_OK;
}

int
command_model (int argc, char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "info"))
    {
      argv[1] = (char *) "model info"; /* for --help's usage line */
      return model_info (argc - 1, argv + 1);
    }
  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    {
      printf ("Usage: cnnfilt model info MODEL.onnx [--json] [--input NxCxHxW]\n\n"
              "  info   a model's layers: output shapes, parameters, receptive fields, FLOPs\n\n"
              "'cnnfilt model info --help' shows its options.\n");
      return EXIT_OK;
    }
  if (argc < 2)
    cli_error ("model: give a subcommand: info (see 'cnnfilt model --help')");
  else
    cli_error ("model: unknown subcommand '%s' (there is one: info; see 'cnnfilt model --help')",
               argv[1]);
  return EXIT_USAGE;
}
