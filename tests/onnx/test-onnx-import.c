/* test-onnx-import.c: the ONNX importer on models built here with
 * protobuf-c: how nodes, attributes, initializers and ranks map onto the
 * graph, and every way a model can be refused
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test-util.h"
#include "onnx.pb-c.h"

#include <glib/gstdio.h>
#include <string.h>

#define EXACT 1e-6

/* ---- Building models ---------------------------------------------------- */

/* A model under construction; everything it points to is owned by arena. */
typedef struct {
  GPtrArray *arena;
  Onnx__ModelProto *model;
  Onnx__GraphProto *graph;
} Model;

static gpointer
arena_alloc (Model *m, gsize size)
{
  gpointer memory = g_malloc0 (MAX (size, 1));
  g_ptr_array_add (m->arena, memory);
  return memory;
}

static gchar *
arena_strdup (Model *m, const gchar *text)
{
  gchar *copy = g_strdup (text);
  g_ptr_array_add (m->arena, copy);
  return copy;
}

/* Appends @item to a protobuf-c repeated field (@array, @count). */
#define APPEND(m, array, count, item)                                              \
  G_STMT_START {                                                                   \
    gpointer *fresh_ = arena_alloc ((m), sizeof (gpointer) * ((count) + 1));       \
    if ((count) > 0)                                                               \
      memcpy (fresh_, (array), sizeof (gpointer) * (count));                       \
    fresh_[(count)++] = (item);                                                    \
    (array) = (gpointer) fresh_;                                                   \
  } G_STMT_END

#define DIMS(...) G_N_ELEMENTS (((gint64[]) { __VA_ARGS__ })), ((gint64[]) { __VA_ARGS__ })
#define VALUES(...) G_N_ELEMENTS (((gfloat[]) { __VA_ARGS__ })), ((gfloat[]) { __VA_ARGS__ })

static Model *
model_new (gint64 opset)
{
  Model *m = g_new0 (Model, 1);
  m->arena = g_ptr_array_new_with_free_func (g_free);
  m->model = arena_alloc (m, sizeof (Onnx__ModelProto));
  onnx__model_proto__init (m->model);
  m->model->has_ir_version = TRUE;
  m->model->ir_version = 8;
  m->model->producer_name = arena_strdup (m, "test-onnx-import");
  m->graph = arena_alloc (m, sizeof (Onnx__GraphProto));
  onnx__graph_proto__init (m->graph);
  m->graph->name = arena_strdup (m, "test");
  m->model->graph = m->graph;
  Onnx__OperatorSetIdProto *set = arena_alloc (m, sizeof (Onnx__OperatorSetIdProto));
  onnx__operator_set_id_proto__init (set);
  set->domain = arena_strdup (m, "");
  set->has_version = TRUE;
  set->version = opset;
  APPEND (m, m->model->opset_import, m->model->n_opset_import, set);
  return m;
}

static void
model_free (Model *m)
{
  g_ptr_array_unref (m->arena);
  g_free (m);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Model, model_free)

static GBytes *
model_bytes (Model *m)
{
  gsize size = onnx__model_proto__get_packed_size (m->model);
  guint8 *data = g_malloc (MAX (size, 1));
  onnx__model_proto__pack (m->model, data);
  return g_bytes_new_take (data, size);
}

/* A ValueInfoProto for a tensor of @elem_type; no shape when @rank < 0. */
static Onnx__ValueInfoProto *
value_info (Model *m, const gchar *name, gint elem_type, gssize rank, const gint64 *dims)
{
  Onnx__ValueInfoProto *info = arena_alloc (m, sizeof (Onnx__ValueInfoProto));
  onnx__value_info_proto__init (info);
  info->name = arena_strdup (m, name);
  Onnx__TypeProto *type = arena_alloc (m, sizeof (Onnx__TypeProto));
  onnx__type_proto__init (type);
  Onnx__TypeProto__Tensor *tensor = arena_alloc (m, sizeof (Onnx__TypeProto__Tensor));
  onnx__type_proto__tensor__init (tensor);
  tensor->has_elem_type = TRUE;
  tensor->elem_type = elem_type;
  if (rank >= 0)
    {
      tensor->shape = arena_alloc (m, sizeof (Onnx__TensorShapeProto));
      onnx__tensor_shape_proto__init (tensor->shape);
      for (gssize i = 0; i < rank; i++)
        {
          Onnx__TensorShapeProto__Dimension *dim =
            arena_alloc (m, sizeof (Onnx__TensorShapeProto__Dimension));
          onnx__tensor_shape_proto__dimension__init (dim);
          if (dims[i] < 0)
            {
              /* a size the model leaves free, such as the batch */
              dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
              dim->dim_param = arena_strdup (m, "batch");
            }
          else
            {
              dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
              dim->dim_value = dims[i];
            }
          APPEND (m, tensor->shape->dim, tensor->shape->n_dim, dim);
        }
    }
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tensor;
  info->type = type;
  return info;
}

static void
model_input (Model *m, const gchar *name, gsize rank, const gint64 *dims)
{
  Onnx__ValueInfoProto *info = value_info (m, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims);
  APPEND (m, m->graph->input, m->graph->n_input, info);
}

static void
model_output (Model *m, const gchar *name)
{
  Onnx__ValueInfoProto *info = value_info (m, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL);
  APPEND (m, m->graph->output, m->graph->n_output, info);
}

static void
split_names (Model *m, const gchar *list, gchar ***names, gsize *count)
{
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    APPEND (m, *names, *count, arena_strdup (m, parts[i]));
}

/* A node reading the comma-separated @inputs ("" for a left-out optional
 * one) and writing @outputs. */
static Onnx__NodeProto *
model_node (Model *m, const gchar *op_type, const gchar *name, const gchar *inputs,
            const gchar *outputs)
{
  Onnx__NodeProto *node = arena_alloc (m, sizeof (Onnx__NodeProto));
  onnx__node_proto__init (node);
  node->op_type = arena_strdup (m, op_type);
  node->name = arena_strdup (m, name);
  if (*inputs)
    split_names (m, inputs, &node->input, &node->n_input);
  split_names (m, outputs, &node->output, &node->n_output);
  APPEND (m, m->graph->node, m->graph->n_node, node);
  return node;
}

static Onnx__AttributeProto *
attribute (Model *m, Onnx__NodeProto *node, const gchar *name, Onnx__AttributeProto__AttributeType type)
{
  Onnx__AttributeProto *attr = arena_alloc (m, sizeof (Onnx__AttributeProto));
  onnx__attribute_proto__init (attr);
  attr->name = arena_strdup (m, name);
  attr->has_type = TRUE;
  attr->type = type;
  APPEND (m, node->attribute, node->n_attribute, attr);
  return attr;
}

static void
attr_int (Model *m, Onnx__NodeProto *node, const gchar *name, gint64 value)
{
  Onnx__AttributeProto *attr = attribute (m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  attr->has_i = TRUE;
  attr->i = value;
}

static void
attr_ints (Model *m, Onnx__NodeProto *node, const gchar *name, gsize n, const gint64 *values)
{
  Onnx__AttributeProto *attr = attribute (m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  attr->n_ints = n;
  attr->ints = arena_alloc (m, n * sizeof (gint64));
  if (n > 0)
    memcpy (attr->ints, values, n * sizeof (gint64));
}

static void
attr_float (Model *m, Onnx__NodeProto *node, const gchar *name, gfloat value)
{
  Onnx__AttributeProto *attr = attribute (m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  attr->has_f = TRUE;
  attr->f = value;
}

static void
attr_string (Model *m, Onnx__NodeProto *node, const gchar *name, const gchar *value)
{
  Onnx__AttributeProto *attr = attribute (m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  attr->has_s = TRUE;
  attr->s.data = (guint8 *) arena_strdup (m, value);
  attr->s.len = strlen (value);
}

static Onnx__TensorProto *
tensor_proto (Model *m, const gchar *name, gint type, gsize n_dims, const gint64 *dims)
{
  Onnx__TensorProto *tensor = arena_alloc (m, sizeof (Onnx__TensorProto));
  onnx__tensor_proto__init (tensor);
  tensor->name = arena_strdup (m, name);
  tensor->has_data_type = TRUE;
  tensor->data_type = type;
  tensor->n_dims = n_dims;
  tensor->dims = arena_alloc (m, n_dims * sizeof (gint64));
  if (n_dims > 0) /* a scalar: dims may be NULL, which memcpy must not get */
    memcpy (tensor->dims, dims, n_dims * sizeof (gint64));
  return tensor;
}

/* A float32 tensor, its values in float_data. */
static Onnx__TensorProto *
float_tensor (Model *m, const gchar *name, gsize n_dims, const gint64 *dims, gsize n,
              const gfloat *values)
{
  Onnx__TensorProto *tensor = tensor_proto (m, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, n_dims, dims);
  tensor->n_float_data = n;
  tensor->float_data = arena_alloc (m, n * sizeof (gfloat));
  if (n > 0) /* an empty tensor: values may be NULL */
    memcpy (tensor->float_data, values, n * sizeof (gfloat));
  return tensor;
}

/* A float32 tensor, its values little-endian in raw_data, as exporters write. */
static Onnx__TensorProto *
raw_float_tensor (Model *m, const gchar *name, gsize n_dims, const gint64 *dims, gsize n,
                  const gfloat *values)
{
  Onnx__TensorProto *tensor = tensor_proto (m, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, n_dims, dims);
  tensor->has_raw_data = TRUE;
  tensor->raw_data.len = n * sizeof (gfloat);
  tensor->raw_data.data = arena_alloc (m, n * sizeof (gfloat));
  for (gsize i = 0; i < n; i++)
    {
      guint32 bits;
      memcpy (&bits, values + i, 4);
      bits = GUINT32_TO_LE (bits);
      memcpy (tensor->raw_data.data + 4 * i, &bits, 4);
    }
  return tensor;
}

static Onnx__TensorProto *
int64_tensor (Model *m, const gchar *name, gsize n, const gint64 *values)
{
  gint64 dims[1] = { n };
  Onnx__TensorProto *tensor = tensor_proto (m, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims);
  tensor->n_int64_data = n;
  tensor->int64_data = arena_alloc (m, n * sizeof (gint64));
  if (n > 0)
    memcpy (tensor->int64_data, values, n * sizeof (gint64));
  return tensor;
}

/* A rank-0 int64 tensor */
static Onnx__TensorProto *
int64_scalar (Model *m, const gchar *name, gint64 value)
{
  Onnx__TensorProto *tensor = int64_tensor (m, name, 1, &value);
  tensor->n_dims = 0;
  return tensor;
}

static void
model_initializer (Model *m, Onnx__TensorProto *tensor)
{
  APPEND (m, m->graph->initializer, m->graph->n_initializer, tensor);
}

static void
attr_tensor (Model *m, Onnx__NodeProto *node, const gchar *name, Onnx__TensorProto *tensor)
{
  Onnx__AttributeProto *attr = attribute (m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  attr->t = tensor;
}

/* ---- Importing and running ---------------------------------------------- */

static CnnfiltGraph *
import_ok_at (const char *file, int line, Model *m)
{
  g_autoptr (GBytes) bytes = model_bytes (m);
  g_autoptr (GError) error = NULL;
  CnnfiltGraph *graph = cnnfilt_graph_new_from_onnx_bytes (bytes, &error);
  ck_assert_msg (graph != NULL, "%s:%d: import failed: %s", file, line,
                 error ? error->message : "(no error)");
  return graph;
}
#define import_ok(m) import_ok_at (__FILE__, __LINE__, (m))

static GError *
import_error_at (const char *file, int line, GBytes *bytes)
{
  GError *error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_onnx_bytes (bytes, &error);
  ck_assert_msg (graph == NULL, "%s:%d: the model imported, an error was expected", file, line);
  ck_assert_msg (error != NULL, "%s:%d: no error set", file, line);
  return error;
}
#define import_error_bytes(bytes) import_error_at (__FILE__, __LINE__, (bytes))

static GError *
import_model_error_at (const char *file, int line, Model *m)
{
  g_autoptr (GBytes) bytes = model_bytes (m);
  return import_error_at (file, line, bytes);
}
#define import_error(m) import_model_error_at (__FILE__, __LINE__, (m))

/* Runs a one-input graph on @values of the given shape. */
static CnnfiltTensor *
run_at (const char *file, int line, CnnfiltGraph *graph, CnnfiltTensor *input)
{
  g_autoptr (GError) error = NULL;
  CnnfiltTensor *output = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (output != NULL, "%s:%d: run failed: %s", file, line,
                 error ? error->message : "(no error)");
  return output;
}
#define run(graph, input) run_at (__FILE__, __LINE__, (graph), (input))

static void
assert_property (CnnfiltGraph *graph, const gchar *node, const gchar *property,
                 const gchar *expected)
{
  CnnfiltOp *op = cnnfilt_graph_get_op (graph, node);
  ck_assert_msg (op != NULL, "no op node '%s'", node);
  g_autofree gchar *value = cnnfilt_op_get_property_as_string (op, property);
  ck_assert_msg (g_strcmp0 (value, expected) == 0, "%s: %s is '%s', expected '%s'", node,
                 property, value ? value : "(none)", expected);
}

static gchar *
node_names (CnnfiltGraph *graph)
{
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  return g_strjoinv (",", names);
}

/* ---- Mapping ------------------------------------------------------------ */

/* Conv: weights and bias from raw_data initializers, strides, pads
 * (ONNX order: begins then ends), dilations and group to the op's
 * properties; kernel_shape accepted. The node keeps its own name. */
START_TEST (test_conv_attributes)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 2, 5, 5));
  gfloat w[2 * 1 * 3 * 3];
  for (guint i = 0; i < G_N_ELEMENTS (w); i++)
    w[i] = i < 9 ? 1.0f : 0.0f;
  model_initializer (m, raw_float_tensor (m, "W", DIMS (2, 1, 3, 3), G_N_ELEMENTS (w), w));
  model_initializer (m, raw_float_tensor (m, "B", DIMS (2), VALUES (0.5f, -1.0f)));
  Onnx__NodeProto *conv = model_node (m, "Conv", "conv1", "x,W,B", "y");
  attr_ints (m, conv, "strides", DIMS (2, 1));
  attr_ints (m, conv, "pads", DIMS (1, 0, 1, 2));
  attr_ints (m, conv, "dilations", DIMS (1, 1));
  attr_ints (m, conv, "kernel_shape", DIMS (3, 3));
  attr_int (m, conv, "group", 2);
  model_output (m, "y");

  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  g_autofree gchar *names = node_names (graph);
  ck_assert_str_eq (names, "x,conv1");
  ck_assert_uint_eq (cnnfilt_graph_get_n_inputs (graph), 1);
  assert_property (graph, "conv1", "stride-h", "2");
  assert_property (graph, "conv1", "stride-w", "1");
  assert_property (graph, "conv1", "pad-top", "1");
  assert_property (graph, "conv1", "pad-left", "0");
  assert_property (graph, "conv1", "pad-bottom", "1");
  assert_property (graph, "conv1", "pad-right", "2");
  assert_property (graph, "conv1", "groups", "2");
  assert_property (graph, "conv1", "weights", "<2x1x3x3 tensor>");
  assert_property (graph, "conv1", "bias", "<2x1x1x1 tensor>");

  /* channel 0: 3×3 box sum + 0.5; channel 1: zero kernel - 1 */
  g_autoptr (CnnfiltTensor) x = cnnfilt_tensor_new (1, 2, 5, 5, NULL);
  cnnfilt_tensor_fill (x, 1.0f);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (y, &shape);
  ck_assert_uint_eq (shape.h, 3); /* (5 + 2 - 3) / 2 + 1 */
  ck_assert_uint_eq (shape.w, 5); /* (5 + 2 - 3) / 1 + 1 */
  tu_assert_near (6.5, cnnfilt_tensor_get_value (y, 0, 0, 0, 0), EXACT); /* 2 rows × 3 */
  tu_assert_near (9.5, cnnfilt_tensor_get_value (y, 0, 0, 1, 1), EXACT);
  tu_assert_near (-1.0, cnnfilt_tensor_get_value (y, 0, 1, 1, 1), EXACT);
}
END_TEST

/* String attributes set enum nicks: SAME_UPPER -> same-upper. */
START_TEST (test_enum_attribute)
{
  g_autoptr (Model) m = model_new (12);
  model_input (m, "x", DIMS (1, 1, 4, 4));
  Onnx__NodeProto *pool = model_node (m, "MaxPool", "", "x", "y");
  attr_string (m, pool, "auto_pad", "SAME_UPPER");
  attr_ints (m, pool, "kernel_shape", DIMS (3, 3));
  attr_ints (m, pool, "strides", DIMS (2, 2));
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  /* no node name: the node is named after its output */
  assert_property (graph, "y", "auto-pad", "same-upper");
  assert_property (graph, "y", "kernel-h", "3");
  assert_property (graph, "y", "stride-w", "2");
}
END_TEST

/* Gemm's transB defaults to 0 in ONNX and to true on linear: the mapping's
 * DEFAULT applies when the node leaves it out. */
START_TEST (test_attribute_default)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "a", DIMS (2, 3));
  model_initializer (m, float_tensor (m, "b", DIMS (3, 2), VALUES (1, 2, 3, 4, 5, 6)));
  model_node (m, "Gemm", "fc", "a,b", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "fc", "trans-b", "false");
  assert_property (graph, "fc", "weights", "<3x2x1x1 tensor>");

  /* a (2,3) · b (3,2): rows [1 0 0] and [0 1 1] */
  const gfloat a[] = { 1, 0, 0, 0, 1, 1 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (a, 2, 3, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat expected[] = { 1, 2, 8, 10 };
  tu_assert_tensor (y, 2, 2, 1, 1, expected, EXACT);
}
END_TEST

/* Negative axes count from the end of the ONNX rank, not of the four
 * stored dims: Softmax axis -1 on (3,4,5) is axis 2. */
START_TEST (test_negative_axis)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (3, 4, 5));
  attr_int (m, model_node (m, "Softmax", "sm", "x", "y"), "axis", -1);
  model_input (m, "z", DIMS (3, 4, 5));
  model_node (m, "Softmax", "sm_default", "z", "w"); /* ONNX default: -1 */
  model_output (m, "y");
  model_output (m, "w");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "sm", "axis", "2");
  assert_property (graph, "sm_default", "axis", "2");
}
END_TEST

/* x (3,4,5) + y (5), both graph inputs: y is re-aligned by a reshape to
 * (1,1,5), stored (1,1,5,1), so that its values run along x's last dim. */
START_TEST (test_broadcast_data_input)
{
  g_autoptr (Model) m = model_new (14);
  model_input (m, "x", DIMS (3, 4, 5));
  model_input (m, "y", DIMS (5));
  model_node (m, "Add", "add", "x,y", "sum");
  model_output (m, "sum");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  g_autofree gchar *names = node_names (graph);
  ck_assert_str_eq (names, "x,y,y:rank3,add");
  assert_property (graph, "y:rank3", "h", "5");

  g_autoptr (CnnfiltTensor) x = cnnfilt_tensor_new (3, 4, 5, 1, NULL);
  const gfloat yv[] = { 1, 2, 3, 4, 5 };
  g_autoptr (CnnfiltTensor) y = tu_tensor (yv, 5, 1, 1, 1);
  CnnfiltTensor *inputs[] = { x, y };
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_graph_run (graph, inputs, 2, &error), "%s", error ? error->message : "");
  g_autoptr (CnnfiltTensor) sum = cnnfilt_graph_get_output (graph, 0);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (sum, &shape);
  ck_assert_msg (shape.n == 3 && shape.c == 4 && shape.h == 5 && shape.w == 1, "shape %ux%ux%ux%u",
                 shape.n, shape.c, shape.h, shape.w);
  tu_assert_near (3.0, cnnfilt_tensor_get_value (sum, 2, 3, 2, 0), EXACT);
  tu_assert_near (5.0, cnnfilt_tensor_get_value (sum, 1, 0, 4, 0), EXACT);
}
END_TEST

/* The same with y a constant: the tensor itself is reshaped, no node. A
 * constant read as data is a graph constant named after it. */
START_TEST (test_broadcast_constant)
{
  g_autoptr (Model) m = model_new (14);
  model_input (m, "x", DIMS (2, 3));
  model_initializer (m, float_tensor (m, "k", DIMS (3), VALUES (10, 20, 30)));
  model_node (m, "Mul", "mul", "x,k", "p");
  model_node (m, "Add", "add", "p,k", "s");
  model_output (m, "s");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  const gfloat xv[] = { 1, 2, 3, 4, 5, 6 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 3, 1, 1);
  g_autoptr (CnnfiltTensor) s = run (graph, x);
  const gfloat expected[] = { 20, 60, 120, 50, 120, 210 };
  tu_assert_tensor (s, 2, 3, 1, 1, expected, EXACT);
}
END_TEST

/* PRelu's slope (5) is aligned to the input's rank 3 (onnx_inputs `slope^`). */
START_TEST (test_aligned_property)
{
  g_autoptr (Model) m = model_new (16);
  model_input (m, "x", DIMS (2, 2, 5));
  model_initializer (m, float_tensor (m, "slope", DIMS (5), VALUES (0, 0.5f, 1, 2, 3)));
  model_node (m, "PRelu", "prelu", "x,slope", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "prelu", "slope", "<1x1x5x1 tensor>");
  g_autoptr (CnnfiltTensor) x = cnnfilt_tensor_new (2, 2, 5, 1, NULL);
  cnnfilt_tensor_fill (x, -2.0f);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_near (-1.0, cnnfilt_tensor_get_value (y, 1, 1, 1, 0), EXACT);
  tu_assert_near (-6.0, cnnfilt_tensor_get_value (y, 0, 1, 4, 0), EXACT);
}
END_TEST

/* Inputs mapped to attributes: Pad's pads (int64) and constant_value, and
 * Reshape's shape from a Constant node; the Reshape's output rank (2) is
 * what a later broadcast aligns to. */
START_TEST (test_inputs_as_attributes)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 2, 2));
  model_initializer (m, int64_tensor (m, "pads", DIMS (0, 0, 1, 0, 0, 0, 0, 2)));
  model_initializer (m, float_tensor (m, "value", 0, NULL, VALUES (7)));
  Onnx__NodeProto *pad = model_node (m, "Pad", "pad", "x,pads,value", "p");
  attr_string (m, pad, "mode", "constant");
  Onnx__NodeProto *shape = model_node (m, "Constant", "shape_const", "", "shape");
  attr_tensor (m, shape, "value", int64_tensor (m, "", DIMS (3, 4)));
  model_node (m, "Reshape", "reshape", "p,shape", "r");
  model_initializer (m, float_tensor (m, "row", DIMS (4), VALUES (0, 100, 200, 300)));
  model_node (m, "Add", "add", "r,row", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "pad", "pad-top", "1");
  assert_property (graph, "pad", "pad-right", "2");
  assert_property (graph, "pad", "value", "7");
  assert_property (graph, "reshape", "n", "3");
  assert_property (graph, "reshape", "c", "4");
  g_autofree gchar *names = node_names (graph);
  ck_assert_str_eq (names, "x,pad,reshape,row:rank2,add");

  const gfloat xv[] = { 1, 2, 3, 4 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 1, 2, 2);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  /* padded: 7 7 7 7 / 1 2 7 7 / 3 4 7 7, plus 0 100 200 300 per row */
  const gfloat expected[] = { 7, 107, 207, 307, 1, 102, 207, 307, 3, 104, 207, 307 };
  tu_assert_tensor (y, 3, 4, 1, 1, expected, EXACT);
}
END_TEST

/* PyTorch's x.view(x.size(0), -1) with a free batch: Shape, Gather,
 * Unsqueeze, Concat fold at import into Reshape's [0, -1]; a Gather of
 * declared dims folds into plain numbers. */
START_TEST (test_shape_chain_folded)
{
  for (gint64 opset = 11; opset <= 13; opset += 2)
    {
      g_autoptr (Model) m = model_new (opset);
      model_input (m, "x", DIMS (-1, 2, 2, 3));
      model_node (m, "Shape", "shape", "x", "s");
      model_initializer (m, int64_scalar (m, "zero", 0));
      model_node (m, "Gather", "batch", "s,zero", "b");
      if (opset >= 13)
        {
          model_initializer (m, int64_tensor (m, "axes", DIMS (0)));
          model_node (m, "Unsqueeze", "unsqueeze", "b,axes", "b1");
        }
      else
        attr_ints (m, model_node (m, "Unsqueeze", "unsqueeze", "b", "b1"), "axes", DIMS (0));
      model_initializer (m, int64_tensor (m, "rest", DIMS (-1)));
      attr_int (m, model_node (m, "Concat", "target", "b1,rest", "t"), "axis", 0);
      model_node (m, "Reshape", "flatten", "x,t", "y");
      /* the declared dims 1..3 are numbers: [2, 2, 3] reshapes as such */
      model_initializer (m, int64_tensor (m, "tail", DIMS (1, 2, 3)));
      model_node (m, "Gather", "dims", "s,tail", "d");
      attr_int (m, model_node (m, "Concat", "target2", "b1,d", "t2"), "axis", 0);
      model_node (m, "Reshape", "back", "y,t2", "z");
      model_output (m, "z");
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      g_autofree gchar *names = node_names (graph);
      ck_assert_str_eq (names, "x,flatten,back");
      assert_property (graph, "flatten", "n", "0");
      assert_property (graph, "flatten", "c", "-1");
      assert_property (graph, "back", "c", "2");
      assert_property (graph, "back", "w", "3");
      gfloat values[24];
      for (guint i = 0; i < 24; i++)
        values[i] = i;
      g_autoptr (CnnfiltTensor) x = tu_tensor (values, 2, 2, 2, 3);
      g_autoptr (CnnfiltTensor) z = run (graph, x);
      tu_assert_tensor (z, 2, 2, 2, 3, values, 0);
      ck_assert (cnnfilt_graph_get_output_shape (graph, 0, &(CnnfiltShape) { 0 }));
    }
}
END_TEST

/* Attention's view(len, batch * heads, dim): a size computed from a dim
 * known only when the graph runs, the only one in the target and no -1
 * beside it, is Reshape's to infer. Here x (batch, 6) to (2, batch * 3). */
START_TEST (test_shape_chain_inferred)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (-1, 6));
  model_node (m, "Shape", "shape", "x", "s");
  model_initializer (m, int64_scalar (m, "zero", 0));
  model_node (m, "Gather", "batch", "s,zero", "b");
  model_initializer (m, int64_scalar (m, "three", 3));
  model_node (m, "Mul", "times", "b,three", "b3");
  model_initializer (m, int64_tensor (m, "axes", DIMS (0)));
  model_node (m, "Unsqueeze", "unsqueeze", "b3,axes", "b1");
  model_initializer (m, int64_tensor (m, "two", DIMS (2)));
  attr_int (m, model_node (m, "Concat", "target", "two,b1", "t"), "axis", 0);
  model_node (m, "Reshape", "view", "x,t", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "view", "n", "2");
  assert_property (graph, "view", "c", "-1");
  gfloat values[24];
  for (guint i = 0; i < 24; i++)
    values[i] = i;
  g_autoptr (CnnfiltTensor) x = tu_tensor (values, 4, 6, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 2, 12, 1, 1, values, 0);
}
END_TEST

/* Shapes known only at run time go nowhere but Reshape, Slice and Expand.
 * A Reshape target that neither keeps them in place nor infers the one
 * becomes expressions of the dims of the tensor they come from: x (b, 2,
 * 2, 3) to [-1, b] is reshape shape=-1,d0, (12, b); sizes of three other
 * tensors are more than the expressions (of one) and -1 can say. */
START_TEST (test_shape_chain_refused)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (-1, 2, 2, 3));
  model_node (m, "Shape", "shape", "x", "s");
  model_initializer (m, int64_scalar (m, "zero", 0));
  model_node (m, "Gather", "batch", "s,zero", "b");
  model_initializer (m, int64_tensor (m, "axes", DIMS (0)));
  model_node (m, "Unsqueeze", "unsqueeze", "b,axes", "b1");
  model_initializer (m, int64_tensor (m, "rest", DIMS (-1)));
  attr_int (m, model_node (m, "Concat", "target", "rest,b1", "t"), "axis", 0);
  model_node (m, "Reshape", "flatten", "x,t", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "flatten", "shape", "-1,d0");
  gfloat values[36];
  for (guint i = 0; i < 36; i++)
    values[i] = i;
  g_autoptr (CnnfiltTensor) x = tu_tensor (values, 3, 2, 2, 3);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 12, 3, 1, 1, values, EXACT);

  g_autoptr (Model) three = model_new (13);
  model_input (three, "x", DIMS (-1, 6));
  const gchar *others[] = { "p", "q", "r" };
  for (guint i = 0; i < 3; i++)
    {
      g_autofree gchar *shape = g_strdup_printf ("%s_shape", others[i]);
      g_autofree gchar *dim = g_strdup_printf ("%s_dim", others[i]);
      g_autofree gchar *inputs = g_strdup_printf ("%s,%s", shape, "zero");
      model_input (three, others[i], DIMS (-1, 2));
      model_node (three, "Shape", shape, others[i], shape);
      if (i == 0)
        model_initializer (three, int64_tensor (three, "zero", DIMS (0)));
      model_node (three, "Gather", dim, inputs, dim);
    }
  attr_int (three, model_node (three, "Concat", "target", "p_dim,q_dim,r_dim", "t"), "axis", 0);
  model_node (three, "Reshape", "view", "x,t", "y");
  model_output (three, "y");
  g_autoptr (GBytes) bytes = model_bytes (three);
  g_autoptr (GError) error = import_error_bytes (bytes);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "view", "Reshape",
                   "come from more than one other tensor");

  g_autoptr (Model) m2 = model_new (13);
  model_input (m2, "x", DIMS (-1, 3));
  model_node (m2, "Shape", "shape", "x", "s");
  model_node (m2, "Add", "add", "x,s", "y");
  model_output (m2, "y");
  g_autoptr (GBytes) bytes2 = model_bytes (m2);
  g_autoptr (GError) error2 = import_error_bytes (bytes2);
  tu_assert_error (error2, CNNFILT_ERROR_UNSUPPORTED, "add", "input 's' is a shape computed");

}
END_TEST

/* Clip's bounds as scalar inputs (opset 11+), one left out. */
START_TEST (test_optional_inputs)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (4));
  model_initializer (m, float_tensor (m, "hi", 0, NULL, VALUES (2.5f)));
  model_node (m, "Clip", "clip", "x,,hi", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "clip", "max", "2.5");
  const gfloat xv[] = { -10, 0, 2, 3 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 4, 1, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat expected[] = { -10, 0, 2, 2.5f };
  tu_assert_tensor (y, 4, 1, 1, 1, expected, EXACT);
}
END_TEST

/* Old exporters list initializers among the graph inputs: those are
 * constants, not inputs of the graph. */
START_TEST (test_initializer_listed_as_input)
{
  g_autoptr (Model) m = model_new (9);
  model_input (m, "x", DIMS (1, 2, 1, 1));
  model_input (m, "scale", DIMS (2));
  model_initializer (m, float_tensor (m, "scale", DIMS (2), VALUES (3, 4)));
  model_node (m, "Mul", "mul", "x,scale", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  ck_assert_uint_eq (cnnfilt_graph_get_n_inputs (graph), 1);
}
END_TEST

/* Node names: a name two nodes share, or that names another value, is not
 * used; the node is named after its output. */
START_TEST (test_node_names)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 2, 2));
  model_node (m, "Relu", "act", "x", "a");
  model_node (m, "Relu", "act", "a", "b");
  model_node (m, "Sigmoid", "x", "b", "c");      /* "x" is the graph input */
  model_node (m, "Tanh", "tanh", "c", "tanh");   /* its own output: fine */
  model_node (m, "Identity", "last", "tanh", "d");
  model_output (m, "d");
  model_output (m, "b");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  g_autofree gchar *names = node_names (graph);
  ck_assert_str_eq (names, "x,a,b,c,tanh,last");
  ck_assert_uint_eq (cnnfilt_graph_get_n_outputs (graph), 2);
}
END_TEST

/* The `model` op: a model file as one pipeline stage, cut at any node. */
START_TEST (test_model_op)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 2, 2));
  model_node (m, "Relu", "act", "x", "a");
  model_node (m, "Sigmoid", "sig", "a", "y");
  model_output (m, "y");
  g_autoptr (GBytes) bytes = model_bytes (m);
  g_autofree gchar *dir = tu_make_temp_dir ();
  g_autofree gchar *path = g_build_filename (dir, "tiny.onnx", NULL);
  ck_assert (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  NULL));
  const gfloat in[] = { -1, 2, 0, -3 };
  g_autofree gchar *whole = g_strdup_printf ("model file=%s", path);
  g_autoptr (CnnfiltTensor) y = tu_run_values (whole, in, 1, 1, 2, 2);
  const gfloat sig[] = { 0.5f, 1 / (1 + exp (-2.0)), 0.5f, 0.5f };
  tu_assert_tensor (y, 1, 1, 2, 2, sig, 1e-6);
  g_autofree gchar *cut = g_strdup_printf ("model file=%s output=act ! abs", path);
  g_autoptr (CnnfiltTensor) a = tu_run_values (cut, in, 1, 1, 2, 2);
  const gfloat relu[] = { 0, 2, 0, 0 };
  tu_assert_tensor (a, 1, 1, 2, 2, relu, 0);

  g_autoptr (CnnfiltTensor) input = tu_tensor (in, 1, 1, 2, 2);
  g_autofree gchar *nope = g_strdup_printf ("model file=%s output=nope", path);
  GError *e = tu_run_error (nope, input);
  tu_assert_error (e, CNNFILT_ERROR_INVALID_ARGUMENT, "tiny.onnx", "output 'nope'");
  g_error_free (e);
  e = tu_run_error ("model file=/nonexistent/m.onnx", input);
  tu_assert_error (e, CNNFILT_ERROR_IO, "/nonexistent/m.onnx");
  g_error_free (e);
  e = tu_run_error ("model", input);
  tu_assert_error (e, CNNFILT_ERROR_INVALID_ARGUMENT, "model", "file");
  g_error_free (e);
  tu_remove_tree (dir);
}
END_TEST

/* Constant nodes with value_floats read as data; Dropout's unused mask. */
START_TEST (test_constant_node_as_data)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (3));
  Onnx__NodeProto *constant = model_node (m, "Constant", "c", "", "k");
  Onnx__AttributeProto *attr = attribute (m, constant, "value_floats",
                                          ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  gfloat values[] = { 1, 2, 3 };
  attr->n_floats = 3;
  attr->floats = values;
  model_node (m, "Add", "add", "x,k", "s");
  model_node (m, "Dropout", "drop", "s", "y,mask");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  const gfloat xv[] = { 10, 20, 30 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 3, 1, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat expected[] = { 11, 22, 33 };
  tu_assert_tensor (y, 3, 1, 1, 1, expected, EXACT);
}
END_TEST

/* PyTorch writes equal initializers once and renames the copies with
 * Identity nodes: the copy is a constant too, and no node is added. */
START_TEST (test_identity_of_constant)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 2, 2));
  model_initializer (m, float_tensor (m, "w", DIMS (1, 1, 1, 1), VALUES (2)));
  model_initializer (m, float_tensor (m, "b", DIMS (1), VALUES (0.5f)));
  model_node (m, "Identity", "Identity_0", "b", "b2");
  model_node (m, "Conv", "conv", "x,w,b2", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  g_autofree gchar *names = node_names (graph);
  ck_assert_str_eq (names, "x,conv");
  assert_property (graph, "conv", "bias", "<1x1x1x1 tensor>");
}
END_TEST

/* Tensors in a file beside the model (data_location EXTERNAL). */
START_TEST (test_external_data)
{
  g_autofree gchar *dir = tu_make_temp_dir ();
  g_autofree gchar *model_path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree gchar *data_path = g_build_filename (dir, "weights.bin", NULL);
  const gfloat slope[] = { 0, 0, 0.25f, 0.5f }; /* 8 bytes of padding, then the slope */
  ck_assert (g_file_set_contents (data_path, (const gchar *) slope, sizeof slope, NULL));

  g_autoptr (Model) m = model_new (16);
  model_input (m, "x", DIMS (1, 2, 1, 1));
  Onnx__TensorProto *t = tensor_proto (m, "slope", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, DIMS (1, 2, 1, 1));
  t->has_data_location = TRUE;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  const gchar *entries[][2] = { { "location", "weights.bin" }, { "offset", "8" }, { "length", "8" } };
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      Onnx__StringStringEntryProto *entry = arena_alloc (m, sizeof (Onnx__StringStringEntryProto));
      onnx__string_string_entry_proto__init (entry);
      entry->key = arena_strdup (m, entries[i][0]);
      entry->value = arena_strdup (m, entries[i][1]);
      APPEND (m, t->external_data, t->n_external_data, entry);
    }
  model_initializer (m, t);
  model_node (m, "PRelu", "prelu", "x,slope", "y");
  model_output (m, "y");
  g_autoptr (GBytes) bytes = model_bytes (m);
  ck_assert (g_file_set_contents (model_path, g_bytes_get_data (bytes, NULL),
                                  g_bytes_get_size (bytes), NULL));

  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_onnx_file (model_path, &error);
  ck_assert_msg (graph != NULL, "%s", error ? error->message : "");
  const gfloat xv[] = { -4, -4 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 2, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat expected[] = { -1, -2 };
  tu_assert_tensor (y, 1, 2, 1, 1, expected, EXACT);

  /* the same bytes cannot refer to a file */
  g_autoptr (GError) bytes_error = import_error_bytes (bytes);
  tu_assert_error (bytes_error, CNNFILT_ERROR_UNSUPPORTED, "initializer 'slope'", "external",
                   "weights.bin");

  /* and a missing file is named */
  g_unlink (data_path);
  g_clear_error (&error);
  g_autoptr (CnnfiltGraph) none = cnnfilt_graph_new_from_onnx_file (model_path, &error);
  ck_assert (none == NULL);
  tu_assert_error (error, CNNFILT_ERROR_IO, "initializer 'slope'", "weights.bin");
  tu_remove_tree (dir);
}
END_TEST

/* ---- Weights read in place --------------------------------------------- */

/* Appends a length-delimited field to @out, as protobuf encodes it. */
static void
put_field (GByteArray *out, guint field, const guint8 *data, gsize length)
{
  guint64 header[2] = { (guint64) field << 3 | 2, length };
  for (guint k = 0; k < 2; k++)
    for (guint64 v = header[k];;)
      {
        guint8 byte = (v & 0x7f) | (v >> 7 ? 0x80 : 0);
        g_byte_array_append (out, &byte, 1);
        if ((v >>= 7) == 0)
          break;
      }
  g_byte_array_append (out, data, length);
}

static GByteArray *
packed_tensor (Onnx__TensorProto *tensor)
{
  GByteArray *out = g_byte_array_sized_new (onnx__tensor_proto__get_packed_size (tensor));
  g_byte_array_set_size (out, onnx__tensor_proto__get_packed_size (tensor));
  onnx__tensor_proto__pack (tensor, out->data);
  return out;
}

static GByteArray *
packed_graph (Onnx__GraphProto *graph)
{
  GByteArray *out = g_byte_array_new ();
  g_byte_array_set_size (out, onnx__graph_proto__get_packed_size (graph));
  onnx__graph_proto__pack (graph, out->data);
  return out;
}

/* y = PRelu (x, slope) with the slope (0.25, 0.5) given by @slope_bytes,
 * an encoded TensorProto, and @x (-4, -4): y is (-1, -2) where the slope
 * was read as protobuf reads it. @split puts the slope in a second graph
 * field, which protobuf merges into the first. */
static void
assert_slope_model (GByteArray *slope_bytes, gboolean split)
{
  g_autoptr (Model) m = model_new (16);
  model_input (m, "x", DIMS (1, 2, 1, 1));
  model_node (m, "PRelu", "prelu", "x,slope", "y");
  model_output (m, "y");
  g_autoptr (GByteArray) graph = packed_graph (m->graph);
  g_autoptr (GByteArray) second = g_byte_array_new ();
  put_field (split ? second : graph, 5, slope_bytes->data, slope_bytes->len); /* initializer */
  m->model->graph = NULL;
  g_autoptr (GByteArray) model = g_byte_array_new ();
  g_byte_array_set_size (model, onnx__model_proto__get_packed_size (m->model));
  onnx__model_proto__pack (m->model, model->data);
  put_field (model, 7, graph->data, graph->len); /* graph */
  if (split)
    put_field (model, 7, second->data, second->len);
  m->model->graph = m->graph;

  g_autoptr (GBytes) bytes = g_bytes_new (model->data, model->len);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) imported = cnnfilt_graph_new_from_onnx_bytes (bytes, &error);
  ck_assert_msg (imported != NULL, "%s", error ? error->message : "");
  const gfloat xv[] = { -4, -4 }, expected[] = { -1, -2 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 2, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (imported, x);
  tu_assert_tensor (y, 1, 2, 1, 1, expected, EXACT);
}

/* The importer decodes a model without its initializers' raw_data and
 * reads those in place: protobuf's rules still hold. Of two raw_data
 * fields the last counts; a field after the tensor's others is read; a
 * model whose graph comes in two fields (merged) is read whole. */
START_TEST (test_raw_data_in_place)
{
  g_autoptr (Model) m = model_new (16);
  const gfloat slope[] = { 0.25f, 0.5f }, wrong[] = { 7, 9 };
  g_autoptr (GByteArray) twice = packed_tensor (raw_float_tensor (m, "slope", DIMS (1, 2, 1, 1), 2, wrong));
  put_field (twice, 9, (const guint8 *) slope, sizeof slope); /* raw_data again */
  assert_slope_model (twice, FALSE);

  g_autoptr (GByteArray) once = packed_tensor (raw_float_tensor (m, "slope", DIMS (1, 2, 1, 1), 2, slope));
  assert_slope_model (once, FALSE);
  assert_slope_model (once, TRUE);
}
END_TEST

/* Imports @graph from @path or, without one, from @bytes; returns how far
 * the process's resident memory rose above where it was meanwhile, in MiB,
 * or -1 where that cannot be measured. */
static gdouble
import_growth (const gchar *path, GBytes *bytes, CnnfiltGraph **graph)
{
  gboolean measured = tu_reset_peak_memory ();
  gsize before = tu_peak_kb ();
  g_autoptr (GError) error = NULL;
  *graph = path ? cnnfilt_graph_new_from_onnx_file (path, &error)
                : cnnfilt_graph_new_from_onnx_bytes (bytes, &error);
  ck_assert_msg (*graph != NULL, "%s", error ? error->message : "");
  return measured ? (tu_peak_kb () - (gdouble) before) / 1024 : -1;
}

/* A model of 64 MiB of weights imports with little more than the weights'
 * own memory: from a file, the pages of the file are let go once read,
 * and neither from a file nor from bytes does the decoder copy the
 * weights before the tensor is made (it was 192 and 128 MiB). */
START_TEST (test_import_memory)
{
  const gsize n = 16 << 20;
  g_autofree gchar *dir = tu_make_temp_dir ();
  g_autofree gchar *path = g_build_filename (dir, "model.onnx", NULL);
  g_autoptr (GBytes) bytes = NULL;
  {
    g_autoptr (Model) m = model_new (16);
    model_input (m, "x", DIMS (1, 16, 1024, 1024));
    g_autofree gfloat *w = g_new (gfloat, n);
    for (gsize i = 0; i < n; i++)
      w[i] = (gfloat) (i % 1000003);
    model_initializer (m, raw_float_tensor (m, "w", DIMS (1, 16, 1024, 1024), n, w));
    model_node (m, "Mul", "mul", "x,w", "y");
    model_output (m, "y");
    bytes = model_bytes (m);
  }
  ck_assert (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));

  for (guint from_file = 0; from_file < 2; from_file++)
    {
      g_autoptr (CnnfiltGraph) graph = NULL;
      gdouble growth = import_growth (from_file ? path : NULL, bytes, &graph);
      if (growth >= 0)
        ck_assert_msg (growth < 64 + 24, "importing 64 MiB of weights %s took %.0f MiB",
                       from_file ? "from a file" : "from bytes", growth);
      else
        g_printerr ("test_import_memory: the peak cannot be reset here; not measured\n");
      g_autoptr (CnnfiltTensor) x = cnnfilt_tensor_new (1, 16, 1024, 1024, NULL);
      cnnfilt_tensor_fill (x, 1.0f);
      g_autoptr (CnnfiltTensor) y = run (graph, x);
      const gfloat *out = cnnfilt_tensor_get_data (y, NULL);
      for (gsize i = 0; i < n; i++)
        if (out[i] != (gfloat) (i % 1000003))
          ck_abort_msg ("weight %" G_GSIZE_FORMAT " read as %g", i, out[i]);
    }
  tu_remove_tree (dir);
}
END_TEST

/* ---- Refusals ----------------------------------------------------------- */

static Model *
relu_model (gint64 opset)
{
  Model *m = model_new (opset);
  model_input (m, "x", DIMS (1, 3, 4, 4));
  model_node (m, "Relu", "relu1", "x", "y");
  model_output (m, "y");
  return m;
}

/* Every prefix of a valid model: an error or (cut at a field boundary) a
 * graph, never a crash; cut inside a field, an error naming the encoding. */
START_TEST (test_truncated)
{
  g_autoptr (Model) m = relu_model (13);
  model_initializer (m, raw_float_tensor (m, "unused", DIMS (4), VALUES (1, 2, 3, 4)));
  g_autoptr (GBytes) bytes = model_bytes (m);
  gsize size = g_bytes_get_size (bytes);
  for (gsize cut = 0; cut < size; cut++)
    {
      g_autoptr (GBytes) part = g_bytes_new_from_bytes (bytes, 0, cut);
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_onnx_bytes (part, &error);
      ck_assert_msg ((graph == NULL) == (error != NULL), "cut at %" G_GSIZE_FORMAT, cut);
      ck_assert (error == NULL || error->domain == CNNFILT_ERROR);
    }
  g_autoptr (GBytes) part = g_bytes_new_from_bytes (bytes, 0, size - 3);
  g_autoptr (GError) error = import_error_bytes (part);
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "truncated or malformed");
}
END_TEST

START_TEST (test_garbage)
{
  GRand *rand = g_rand_new_with_seed (42);
  guint8 noise[512];
  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);
  g_autoptr (GBytes) bytes = g_bytes_new (noise, sizeof noise);
  g_autoptr (GError) error = import_error_bytes (bytes);
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "not an ONNX model");

  g_autoptr (GBytes) text = g_bytes_new_static ("hello, world\n", 13);
  g_autoptr (GError) text_error = import_error_bytes (text);
  tu_assert_error (text_error, CNNFILT_ERROR_FORMAT, "not an ONNX model");

  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GError) empty_error = import_error_bytes (empty);
  tu_assert_error (empty_error, CNNFILT_ERROR_FORMAT, "no graph");
}
END_TEST

/* Graphs nested in attributes, 10000 deep in 40 kB: refused before
 * protobuf-c would recurse into them. */
START_TEST (test_deep_nesting)
{
  /* NodeProto.attribute (5) -> AttributeProto.g (6) -> GraphProto.node (1) ... */
  GByteArray *data = g_byte_array_new ();
  const guint8 tags[] = { (6 << 3) | 2, (5 << 3) | 2, (1 << 3) | 2 }; /* innermost first */
  guint depth = 10000;
  /* built inside out: each level wraps the previous bytes */
  for (guint i = 0; i < 3 * depth; i++)
    {
      guint8 header[12];
      gsize n = 0, length = data->len;
      header[n++] = tags[i % 3];
      do
        {
          header[n++] = (length & 0x7f) | (length > 0x7f ? 0x80 : 0);
          length >>= 7;
        }
      while (length);
      g_byte_array_prepend (data, header, n);
    }
  /* ModelProto.graph (7) around it all */
  guint8 header[12];
  gsize n = 0, length = data->len;
  header[n++] = (7 << 3) | 2;
  do
    {
      header[n++] = (length & 0x7f) | (length > 0x7f ? 0x80 : 0);
      length >>= 7;
    }
  while (length);
  g_byte_array_prepend (data, header, n);
  g_autoptr (GBytes) bytes = g_byte_array_free_to_bytes (data);
  g_autoptr (GError) error = import_error_bytes (bytes);
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "nested");
}
END_TEST

START_TEST (test_unknown_op)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 3, 4, 4));
  model_node (m, "Relu", "relu1", "x", "a");
  model_node (m, "FancyOp", "fancy", "a", "b");
  model_node (m, "OtherOp", "", "b", "c");
  model_node (m, "FancyOp", "fancy2", "c", "y");
  model_output (m, "y");
  g_autoptr (GError) error = import_error (m);
  /* the first node named, every missing op listed once */
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'fancy'", "(FancyOp, opset 13)",
                   "no op implements FancyOp", "also uses OtherOp");
  ck_assert_ptr_null (strstr (strstr (error->message, "also uses"), "FancyOp"));
}
END_TEST

START_TEST (test_unsupported_attribute)
{
  g_autoptr (Model) m = relu_model (13);
  attr_float (m, m->graph->node[0], "alpha", 0.1f);
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'relu1' (Relu, opset 13)",
                   "attribute 'alpha' is not supported");
}
END_TEST

/* A value a mapping requires: MaxPool's storage_order must be 0, and
 * BatchNormalization in training mode is not inference. */
START_TEST (test_required_attribute_value)
{
  g_autoptr (Model) m = model_new (12);
  model_input (m, "x", DIMS (1, 1, 4, 4));
  Onnx__NodeProto *pool = model_node (m, "MaxPool", "pool", "x", "y");
  attr_ints (m, pool, "kernel_shape", DIMS (2, 2));
  attr_int (m, pool, "storage_order", 1);
  model_output (m, "y");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'pool' (MaxPool, opset 12)",
                   "attribute 'storage_order' is 1; only 0 is supported");

  /* a list of the wrong length: 1-D pooling */
  g_autoptr (Model) m1 = model_new (12);
  model_input (m1, "x", DIMS (1, 1, 4));
  attr_ints (m1, model_node (m1, "MaxPool", "pool1d", "x", "y"), "kernel_shape", DIMS (2));
  model_output (m1, "y");
  g_autoptr (GError) error1 = import_error (m1);
  tu_assert_error (error1, CNNFILT_ERROR_UNSUPPORTED, "node 'pool1d'",
                   "attribute 'kernel_shape' has 1 value; 2 supported");
}
END_TEST

START_TEST (test_opset_range)
{
  g_autoptr (Model) none = relu_model (0);
  g_autoptr (GError) error = import_error (none);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "opset 0 is not supported", "1 to 17");

  /* an old opset whose attributes meant something else: refused by name */
  g_autoptr (Model) old = model_new (6);
  model_input (old, "a", DIMS (2, 3));
  model_input (old, "b", DIMS (3));
  Onnx__NodeProto *add = model_node (old, "Add", "add6", "a,b", "y");
  attr_int (old, add, "broadcast", 1);
  model_output (old, "y");
  g_autoptr (GError) old_error = import_error (old);
  tu_assert_error (old_error, CNNFILT_ERROR_UNSUPPORTED, "node 'add6'", "opset 6", "broadcast");

  g_autoptr (Model) new = relu_model (18);
  g_autoptr (GError) new_error = import_error (new);
  tu_assert_error (new_error, CNNFILT_ERROR_UNSUPPORTED, "opset 18 is not supported");

  /* another domain: named */
  g_autoptr (Model) ml = relu_model (13);
  ml->graph->node[0]->domain = arena_strdup (ml, "ai.onnx.ml");
  g_autoptr (GError) ml_error = import_error (ml);
  tu_assert_error (ml_error, CNNFILT_ERROR_UNSUPPORTED, "node 'relu1'", "domain 'ai.onnx.ml'");
}
END_TEST

START_TEST (test_rank_5)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 3, 4, 4, 4));
  model_node (m, "Relu", "relu1", "x", "y");
  model_output (m, "y");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "graph input 'x' has rank 5");

  /* constants of up to 8 dims are read: a rank-5 initializer reshaped to
   * 4 at import is added to the input */
  g_autoptr (Model) f = model_new (13);
  model_input (f, "x", DIMS (-1, 2, 3, 3));
  gfloat mv[18], xv[36], want[36];
  for (guint i = 0; i < 18; i++)
    mv[i] = 100 * i;
  model_initializer (f, float_tensor (f, "m5", DIMS (1, 2, 1, 3, 3), 18, mv));
  model_initializer (f, int64_tensor (f, "four", DIMS (1, 2, 3, 3)));
  model_node (f, "Reshape", "flat", "m5,four", "m4");
  model_node (f, "Add", "add", "x,m4", "y");
  model_output (f, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (f);
  for (guint i = 0; i < 36; i++)
    {
      xv[i] = i;
      want[i] = i + 100 * (i % 18);
    }
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 2, 3, 3);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 2, 2, 3, 3, want, 0);

  /* an op that needs four dims of it refuses it by name */
  g_autoptr (Model) c = model_new (13);
  model_input (c, "x", DIMS (1, 2, 3, 3));
  gfloat ones[4] = { 1, 1, 1, 1 };
  model_initializer (c, float_tensor (c, "w5", DIMS (2, 2, 1, 1, 1), 4, ones));
  model_node (c, "Conv", "conv", "x,w5", "y");
  model_output (c, "y");
  g_autoptr (GError) c_error = import_error (c);
  tu_assert_error (c_error, CNNFILT_ERROR_UNSUPPORTED, "node 'conv'", "'w5'", "more than 4 dims");

  /* and past 8 dims the initializer itself */
  g_autoptr (Model) w = relu_model (13);
  model_initializer (w, float_tensor (w, "w9", DIMS (1, 1, 1, 1, 1, 1, 1, 1, 2), 2, ones));
  g_autoptr (GError) w_error = import_error (w);
  tu_assert_error (w_error, CNNFILT_ERROR_UNSUPPORTED, "initializer 'w9'", "rank 9", "at most 8");
}
END_TEST

START_TEST (test_raw_data_mismatch)
{
  g_autoptr (Model) m = relu_model (13);
  Onnx__TensorProto *t = raw_float_tensor (m, "w", DIMS (2, 3), VALUES (1, 2, 3, 4, 5));
  model_initializer (m, t);
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "initializer 'w'", "raw_data holds 20 bytes",
                   "need 24");

  g_autoptr (Model) typed = relu_model (13);
  model_initializer (typed, float_tensor (typed, "v", DIMS (2, 2), VALUES (1, 2, 3)));
  g_autoptr (GError) typed_error = import_error (typed);
  tu_assert_error (typed_error, CNNFILT_ERROR_FORMAT, "initializer 'v'", "3 values",
                   "hold 4");
}
END_TEST

START_TEST (test_absurd_dims)
{
  g_autoptr (Model) m = relu_model (13);
  model_initializer (m, float_tensor (m, "huge", DIMS (G_GINT64_CONSTANT (1) << 40,
                                                         G_GINT64_CONSTANT (1) << 40),
                                      VALUES (1)));
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "initializer 'huge'", "too large");

  /* a product that overflows 64 bits */
  g_autoptr (Model) wrap = relu_model (13);
  model_initializer (wrap, float_tensor (wrap, "wrap", DIMS (1 << 30, 1 << 30, 1 << 30, 1 << 30),
                                         VALUES (1)));
  g_autoptr (GError) wrap_error = import_error (wrap);
  tu_assert_error (wrap_error, CNNFILT_ERROR_FORMAT, "initializer 'wrap'", "too large");

  g_autoptr (Model) negative = relu_model (13);
  model_initializer (negative, float_tensor (negative, "neg", DIMS (-1), VALUES (1)));
  g_autoptr (GError) negative_error = import_error (negative);
  tu_assert_error (negative_error, CNNFILT_ERROR_FORMAT, "initializer 'neg'", "(-1) is invalid");

  g_autoptr (Model) empty = relu_model (13);
  model_initializer (empty, float_tensor (empty, "empty", DIMS (3, 0), 0, NULL));
  g_autoptr (GError) empty_error = import_error (empty);
  tu_assert_error (empty_error, CNNFILT_ERROR_UNSUPPORTED, "initializer 'empty'", "empty tensors");
}
END_TEST

/* Weights must be float32; a uint8 graph input is refused. */
START_TEST (test_data_types)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 3, 3));
  Onnx__TensorProto *w = tensor_proto (m, "W", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, DIMS (1, 1, 1, 1));
  w->n_double_data = 1;
  w->double_data = arena_alloc (m, sizeof (gdouble));
  model_initializer (m, w);
  model_node (m, "Conv", "conv", "x,W", "y");
  model_output (m, "y");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'conv' (Conv, opset 13)", "input 1 ('W')",
                   "DOUBLE", "only FLOAT");

  g_autoptr (Model) u8 = model_new (13);
  Onnx__ValueInfoProto *info = value_info (u8, "x", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, DIMS (2, 2));
  APPEND (u8, u8->graph->input, u8->graph->n_input, info);
  model_node (u8, "Relu", "relu", "x", "y");
  model_output (u8, "y");
  g_autoptr (GError) u8_error = import_error (u8);
  tu_assert_error (u8_error, CNNFILT_ERROR_UNSUPPORTED, "graph input 'x'", "UINT8");
}
END_TEST

/* Weights computed by the graph: only constants can set properties. */
START_TEST (test_computed_weights)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 3, 3));
  model_input (m, "W", DIMS (1, 1, 1, 1));
  model_node (m, "Conv", "conv", "x,W", "y");
  model_output (m, "y");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'conv'", "input 1 ('W') must be a constant");
}
END_TEST

/* Extra outputs: ignored when unused, refused when read. */
START_TEST (test_used_extra_output)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 3, 3));
  model_node (m, "Dropout", "drop", "x", "y,mask");
  model_output (m, "y");
  model_output (m, "mask");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'drop' (Dropout, opset 13)",
                   "output 1 ('mask') is used");
}
END_TEST

START_TEST (test_topological_order)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 3, 3));
  model_node (m, "Relu", "second", "a", "y");
  model_node (m, "Relu", "first", "x", "a");
  model_output (m, "y");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_FORMAT, "node 'second'", "input 'a'", "topological");

  g_autoptr (Model) twice = model_new (13);
  model_input (twice, "x", DIMS (1, 1, 3, 3));
  model_node (twice, "Relu", "one", "x", "y");
  model_node (twice, "Relu", "two", "x", "y");
  model_output (twice, "y");
  g_autoptr (GError) twice_error = import_error (twice);
  tu_assert_error (twice_error, CNNFILT_ERROR_FORMAT, "node 'two'", "'y' is already produced");

  g_autoptr (Model) missing = relu_model (13);
  model_output (missing, "nowhere");
  g_autoptr (GError) missing_error = import_error (missing);
  tu_assert_error (missing_error, CNNFILT_ERROR_FORMAT, "graph output 'nowhere'");
}
END_TEST

/* Softmax before opset 13 normalizes over every dim from axis (default 1)
 * on: the same as the op only when axis is the last dim. */
START_TEST (test_legacy_softmax)
{
  g_autoptr (Model) m = model_new (11);
  model_input (m, "x", DIMS (2, 3, 4));
  model_node (m, "Softmax", "sm", "x", "y");
  model_output (m, "y");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'sm' (Softmax, opset 11)",
                   "before opset 13, axis 1", "rank-3");

  g_autoptr (Model) last = model_new (11);
  model_input (last, "x", DIMS (2, 3, 4));
  attr_int (last, model_node (last, "Softmax", "sm", "x", "y"), "axis", 2);
  model_output (last, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (last);
  assert_property (graph, "sm", "axis", "2");

  g_autoptr (Model) matrix = model_new (9); /* rank 2, default axis 1: the last */
  model_input (matrix, "x", DIMS (2, 3));
  model_node (matrix, "Softmax", "sm", "x", "y");
  model_output (matrix, "y");
  g_autoptr (CnnfiltGraph) matrix_graph = import_ok (matrix);
  assert_property (matrix_graph, "sm", "axis", "1");
}
END_TEST

/* A broadcast whose dims are unknown cannot be re-aligned. */
START_TEST (test_broadcast_unknown_dims)
{
  g_autoptr (Model) m = model_new (14);
  model_input (m, "x", DIMS (2, 3, 4));
  model_input (m, "y", DIMS (1, 1));
  model_node (m, "Relu", "r", "y", "ry"); /* rank 2, dims unknown */
  model_node (m, "Add", "add", "x,ry", "s");
  model_output (m, "s");
  g_autoptr (GError) error = import_error (m);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'add' (Add, opset 14)",
                   "rank 2 broadcasts against rank 3");
}
END_TEST

/* ---- What changed between opsets (issue 13) ----------------------------- */

/* PRelu's slope of C values: per channel before opset 7 (the old rule),
 * along the last dim from opset 7 (numpy broadcasting). With the width
 * equal to C, both run; only the right rule gives these values.
 * x[0, c, 0, w] = -(w + 1), slope = (0.1, 0.2, 0.3). */
START_TEST (test_prelu_per_opset)
{
  const gfloat xv[] = { -1, -2, -3, -1, -2, -3, -1, -2, -3 };
  /* opset 6: y = x · slope[c] */
  const gfloat per_channel[] = { -0.1f, -0.2f, -0.3f, -0.2f, -0.4f, -0.6f, -0.3f, -0.6f, -0.9f };
  /* opset 7: y = x · slope[w] */
  const gfloat per_column[] = { -0.1f, -0.4f, -0.9f, -0.1f, -0.4f, -0.9f, -0.1f, -0.4f, -0.9f };
  for (gint64 opset = 6; opset <= 7; opset++)
    {
      g_autoptr (Model) m = model_new (opset);
      model_input (m, "x", DIMS (1, 3, 1, 3));
      model_initializer (m, float_tensor (m, "slope", DIMS (3), VALUES (0.1f, 0.2f, 0.3f)));
      model_node (m, "PRelu", "prelu", "x,slope", "y");
      model_output (m, "y");
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      assert_property (graph, "prelu", "slope", opset == 6 ? "<1x3x1x1 tensor>" : "<1x1x1x3 tensor>");
      g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 3, 1, 3);
      g_autoptr (CnnfiltTensor) y = run (graph, x);
      if (opset == 6)
        tu_assert_tensor (y, 1, 3, 1, 3, per_channel, EXACT);
      else
        tu_assert_tensor (y, 1, 3, 1, 3, per_column, EXACT);
    }

  /* opset 6, one value: shared by every channel */
  g_autoptr (Model) one = model_new (6);
  model_input (one, "x", DIMS (1, 3, 1, 3));
  model_initializer (one, float_tensor (one, "slope", DIMS (1), VALUES (0.5f)));
  model_node (one, "PRelu", "prelu", "x,slope", "y");
  model_output (one, "y");
  g_autoptr (CnnfiltGraph) one_graph = import_ok (one);
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 3, 1, 3);
  g_autoptr (CnnfiltTensor) y = run (one_graph, x);
  const gfloat halves[] = { -0.5f, -1, -1.5f, -0.5f, -1, -1.5f, -0.5f, -1, -1.5f };
  tu_assert_tensor (y, 1, 3, 1, 3, halves, EXACT);

  /* opset 6, 3 slopes for 2 channels (the width is 3): refused, not read
   * along the width */
  g_autoptr (Model) bad = model_new (6);
  model_input (bad, "x", DIMS (1, 2, 1, 3));
  model_initializer (bad, float_tensor (bad, "slope", DIMS (3), VALUES (0.1f, 0.2f, 0.3f)));
  model_node (bad, "PRelu", "prelu", "x,slope", "y");
  model_output (bad, "y");
  g_autoptr (CnnfiltGraph) bad_graph = import_ok (bad);
  g_autoptr (CnnfiltTensor) x2 = cnnfilt_tensor_new (1, 2, 1, 3, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) none = cnnfilt_graph_process (bad_graph, x2, &error);
  ck_assert_ptr_null (none);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, "prelu", "slope (1x3x1x1) does not broadcast");
}
END_TEST

/* BatchNormalization with is_test=1 (opset 6) is the inference the op
 * computes; without it (ONNX's default 0) it is training, refused. Hand
 * values, epsilon 0: y = scale·(x − mean)/√var + bias, per channel:
 * 2·(1 − 0)/2 + 1 = 2 and 0.5·(4 − 2)/1 − 1 = 0. */
static Model *
batchnorm_model (gint64 opset, gint is_test, gboolean all_outputs)
{
  Model *m = model_new (opset);
  model_input (m, "x", DIMS (1, 2, 1, 1));
  model_initializer (m, float_tensor (m, "scale", DIMS (2), VALUES (2, 0.5f)));
  model_initializer (m, float_tensor (m, "bias", DIMS (2), VALUES (1, -1)));
  model_initializer (m, float_tensor (m, "mean", DIMS (2), VALUES (0, 2)));
  model_initializer (m, float_tensor (m, "var", DIMS (2), VALUES (4, 1)));
  Onnx__NodeProto *bn = model_node (m, "BatchNormalization", "bn", "x,scale,bias,mean,var",
                                    all_outputs ? "y,m,v,sm,sv" : "y");
  attr_float (m, bn, "epsilon", 0);
  if (is_test >= 0)
    attr_int (m, bn, "is_test", is_test);
  model_output (m, "y");
  return m;
}

START_TEST (test_legacy_training_mode)
{
  const gfloat xv[] = { 1, 4 }, expected[] = { 2, 0 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 2, 1, 1);
  g_autoptr (Model) test6 = batchnorm_model (6, 1, TRUE);
  g_autoptr (CnnfiltGraph) graph = import_ok (test6);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 1, 2, 1, 1, expected, EXACT);

  g_autoptr (Model) training6 = batchnorm_model (6, -1, FALSE);
  g_autoptr (GError) error = import_error (training6);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'bn' (BatchNormalization, opset 6)",
                   "attribute 'is_test' (default 0) is 0; only 1 is supported");
  g_autoptr (Model) zero6 = batchnorm_model (6, 0, FALSE);
  g_autoptr (GError) zero_error = import_error (zero6);
  tu_assert_error (zero_error, CNNFILT_ERROR_UNSUPPORTED, "attribute 'is_test' is 0; only 1");

  /* is_test is gone at opset 7; from 7 to 13 five outputs mean training */
  g_autoptr (Model) test7 = batchnorm_model (7, 1, FALSE);
  g_autoptr (GError) test7_error = import_error (test7);
  tu_assert_error (test7_error, CNNFILT_ERROR_UNSUPPORTED, "opset 7",
                   "attribute 'is_test' is not supported");
  g_autoptr (Model) training9 = batchnorm_model (9, -1, TRUE);
  g_autoptr (GError) training9_error = import_error (training9);
  tu_assert_error (training9_error, CNNFILT_ERROR_UNSUPPORTED, "node 'bn' (BatchNormalization, opset 9)",
                   "with 5 outputs it runs in training mode");
  g_autoptr (Model) inference9 = batchnorm_model (9, -1, FALSE);
  g_autoptr (CnnfiltGraph) graph9 = import_ok (inference9);
  g_autoptr (CnnfiltTensor) y9 = run (graph9, x);
  tu_assert_tensor (y9, 1, 2, 1, 1, expected, EXACT);

  /* Dropout: is_test=1 copies; without it, opset 6 drops values */
  g_autoptr (Model) drop = model_new (6);
  model_input (drop, "x", DIMS (1, 2, 1, 1));
  attr_int (drop, model_node (drop, "Dropout", "drop", "x", "y"), "is_test", 1);
  model_output (drop, "y");
  g_autoptr (CnnfiltGraph) drop_graph = import_ok (drop);
  g_autoptr (CnnfiltTensor) copy = run (drop_graph, x);
  tu_assert_tensor (copy, 1, 2, 1, 1, xv, 0);
  g_autoptr (Model) dropping = model_new (6);
  model_input (dropping, "x", DIMS (1, 2, 1, 1));
  model_node (dropping, "Dropout", "drop", "x", "y");
  model_output (dropping, "y");
  g_autoptr (GError) drop_error = import_error (dropping);
  tu_assert_error (drop_error, CNNFILT_ERROR_UNSUPPORTED, "node 'drop' (Dropout, opset 6)",
                   "attribute 'is_test' (default 0) is 0; only 1 is supported");
}
END_TEST

/* Gemm's broadcast (opsets 1 to 6) says C broadcasts, as the op's bias
 * does at any opset: (2,3)·(3,2) + (10, 20) on each row. Gone at 7. */
START_TEST (test_gemm_broadcast)
{
  const gfloat a[] = { 1, 0, 0, 0, 1, 1 };
  const gfloat expected[] = { 11, 22, 18, 30 }; /* rows (1, 2) and (8, 10), plus C */
  for (gint64 opset = 6; opset <= 7; opset++)
    {
      g_autoptr (Model) m = model_new (opset);
      model_input (m, "a", DIMS (2, 3));
      model_initializer (m, float_tensor (m, "b", DIMS (3, 2), VALUES (1, 2, 3, 4, 5, 6)));
      model_initializer (m, float_tensor (m, "c", DIMS (2), VALUES (10, 20)));
      attr_int (m, model_node (m, "Gemm", "fc", "a,b,c", "y"), "broadcast", 1);
      model_output (m, "y");
      if (opset == 7)
        {
          g_autoptr (GError) error = import_error (m);
          tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'fc' (Gemm, opset 7)",
                           "attribute 'broadcast' is not supported");
          continue;
        }
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      g_autoptr (CnnfiltTensor) x = tu_tensor (a, 2, 3, 1, 1);
      g_autoptr (CnnfiltTensor) y = run (graph, x);
      tu_assert_tensor (y, 2, 2, 1, 1, expected, EXACT);
    }
}
END_TEST

/* Conv's kernel_shape restates the weights' (here 3×3): anything else is
 * refused, whatever it holds. */
START_TEST (test_conv_kernel_shape)
{
  static const struct {
    gsize n;
    gint64 values[3];
    const gchar *message;
  } cases[] = {
    { 2, { 0, 3 }, "attribute 'kernel_shape' value 0 is 0, but the weights say 3 (their dim 2)" },
    { 2, { 3, -1 }, "attribute 'kernel_shape' value 1 is -1, but the weights say 3 (their dim 3)" },
    { 2, { G_GINT64_CONSTANT (1) << 31, 3 }, "value 0 is 2147483648, but the weights say 3" },
    { 2, { 3, 2 }, "value 1 is 2, but the weights say 3" },
    { 0, { 0 }, "attribute 'kernel_shape' has 0 values; 2 supported" },
    { 3, { 3, 3, 3 }, "attribute 'kernel_shape' has 3 values; 2 supported" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Model) m = model_new (13);
      model_input (m, "x", DIMS (1, 1, 5, 5));
      gfloat w[9] = { 0 };
      model_initializer (m, float_tensor (m, "W", DIMS (1, 1, 3, 3), 9, w));
      attr_ints (m, model_node (m, "Conv", "conv", "x,W", "y"), "kernel_shape", cases[i].n,
                 cases[i].values);
      model_output (m, "y");
      g_autoptr (GError) error = import_error (m);
      tu_assert_error (error, cases[i].n == 2 ? CNNFILT_ERROR_INVALID_ARGUMENT : CNNFILT_ERROR_UNSUPPORTED,
                       "node 'conv' (Conv, opset 13)", cases[i].message);
    }
}
END_TEST

/* Bytes that are not UTF-8 where ONNX wants text (op_type, an enum value,
 * names): messages and node names stay UTF-8, each such byte as \xNN. */
START_TEST (test_strings_not_utf8)
{
  g_autoptr (Model) op = model_new (13);
  model_input (op, "x", DIMS (1, 1, 2, 2));
  model_node (op, "Re\xfflu", "n", "x", "y");
  model_output (op, "y");
  g_autoptr (GError) op_error = import_error (op);
  ck_assert (g_utf8_validate (op_error->message, -1, NULL));
  tu_assert_error (op_error, CNNFILT_ERROR_UNSUPPORTED, "(Re\\xfflu, opset 13)",
                   "no op implements Re\\xfflu");

  g_autoptr (Model) mode = model_new (13);
  model_input (mode, "x", DIMS (1, 1, 2, 2));
  model_initializer (mode, int64_tensor (mode, "pads", DIMS (0, 0, 1, 1, 0, 0, 1, 1)));
  attr_string (mode, model_node (mode, "Pad", "pad\xfe", "x,pads", "y"), "mode", "\xff\xfe");
  model_output (mode, "y");
  g_autoptr (GError) mode_error = import_error (mode);
  ck_assert (g_utf8_validate (mode_error->message, -1, NULL));
  tu_assert_error (mode_error, CNNFILT_ERROR_INVALID_ARGUMENT, "node 'pad\\xfe' (Pad, opset 13)",
                   "'\\xff\\xfe'");

  /* valid UTF-8 around the bad bytes is kept as it is */
  g_autoptr (Model) names = model_new (13);
  model_input (names, "x\xff\xfe", DIMS (1, 1, 2, 2));
  model_node (names, "Relu", "r\xc3\xa9lu\xff", "x\xff\xfe", "y\xff\xfe");
  model_output (names, "y\xff\xfe");
  g_autoptr (CnnfiltGraph) graph = import_ok (names);
  g_autofree gchar *node_list = node_names (graph);
  ck_assert_str_eq (node_list, "x\\xff\\xfe,r\xc3\xa9lu\\xff");
}
END_TEST

/* ReduceMean without keepdims drops its axes from the rank: x.mean([2, 3])
 * of (1,2,2,3) is (1,2), so that a (2) constant added after it runs along
 * the channels. The axes, negative ones resolved, are the op's list. x
 * holds 1 … 12: channel means 3.5 and 9.5, plus 10 and 20. */
START_TEST (test_reduce_rank)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 2, 2, 3));
  Onnx__NodeProto *mean = model_node (m, "ReduceMean", "mean", "x", "r");
  attr_ints (m, mean, "axes", DIMS (-2, 3));
  attr_int (m, mean, "keepdims", 0);
  model_initializer (m, float_tensor (m, "k", DIMS (2), VALUES (10, 20)));
  model_node (m, "Add", "add", "r,k", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "mean", "axes", "2,3");
  assert_property (graph, "mean", "keepdims", "false");
  gfloat xv[12];
  for (guint i = 0; i < 12; i++)
    xv[i] = i + 1;
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 2, 2, 3);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat expected[] = { 13.5f, 29.5f };
  tu_assert_tensor (y, 1, 2, 1, 1, expected, EXACT);

  /* ReduceSum-13: axes as an input, an empty list of them: every dim, or
   * none with noop_with_empty_axes */
  for (gint noop = 0; noop <= 1; noop++)
    {
      g_autoptr (Model) r = model_new (13);
      model_input (r, "x", DIMS (1, 2, 2, 3));
      model_initializer (r, int64_tensor (r, "axes", 0, NULL));
      Onnx__NodeProto *sum = model_node (r, "ReduceSum", "sum", "x,axes", "y");
      attr_int (r, sum, "noop_with_empty_axes", noop);
      model_output (r, "y");
      g_autoptr (CnnfiltGraph) sum_graph = import_ok (r);
      g_autoptr (CnnfiltTensor) total = run (sum_graph, x);
      const gfloat all[] = { 78 };
      if (noop)
        tu_assert_tensor (total, 1, 2, 2, 3, xv, 0);
      else
        tu_assert_tensor (total, 1, 1, 1, 1, all, 0);
    }
}
END_TEST

/* LayerNormalization (opset 17), Y alone: each row of (2,4) to mean 0 and
 * variance 1, epsilon 0, then · scale + bias along the row. Row 1: mean
 * 2.5, variance 1.25, so (x − 2.5)/√1.25 = ∓1.3416408, ∓0.4472136; row 2
 * (0 0 4 4): mean 2, variance 4, so ∓1. */
START_TEST (test_layer_norm)
{
  g_autoptr (Model) m = model_new (17);
  model_input (m, "x", DIMS (2, 4));
  model_initializer (m, float_tensor (m, "scale", DIMS (4), VALUES (1, 2, 0.5f, 1)));
  model_initializer (m, float_tensor (m, "bias", DIMS (4), VALUES (0, 1, 0, -1)));
  attr_float (m, model_node (m, "LayerNormalization", "ln", "x,scale,bias", "y"), "epsilon", 0);
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "ln", "axis", "1");
  assert_property (graph, "ln", "scale", "<1x4x1x1 tensor>");
  const gfloat xv[] = { 1, 2, 3, 4, 0, 0, 4, 4 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 4, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat expected[] = { -1.3416408f, 2 * -0.4472136f + 1, 0.5f * 0.4472136f, 1.3416408f - 1,
                              -1, -2 + 1, 0.5f, 0 };
  tu_assert_tensor (y, 2, 4, 1, 1, expected, 1e-6);
}
END_TEST

/* Transpose and MatMul get the rank of their inputs (an entry `=RANK` of
 * their mapping): Transpose of (2,3,4) without perm reverses those three
 * dims, not all four stored; MatMul multiplies the last two of the rank.
 * A (2,2,3) by a (3,2) input, aligned to (1,3,2): two products,
 * [[1,0,0],[0,1,1]] and [[1,1,1],[2,0,0]] by [[1,2],[3,4],[5,6]]. The
 * same (3,2) as a constant is a linear over the last dim (the Linear
 * pattern), with the same products; a 1-D a by it, (3)·(3,2), is (2). */
START_TEST (test_rank_from_inputs)
{
  g_autoptr (Model) t = model_new (13);
  model_input (t, "x", DIMS (2, 3, 4));
  model_node (t, "Transpose", "t", "x", "y");
  model_output (t, "y");
  g_autoptr (CnnfiltGraph) t_graph = import_ok (t);
  assert_property (t_graph, "t", "rank", "3");
  gfloat xv[24];
  for (guint i = 0; i < 24; i++)
    xv[i] = i;
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 3, 4, 1);
  g_autoptr (CnnfiltTensor) y = run (t_graph, x);
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (y, &shape);
  ck_assert_msg (shape.n == 4 && shape.c == 3 && shape.h == 2 && shape.w == 1, "shape %ux%ux%ux%u",
                 shape.n, shape.c, shape.h, shape.w);
  tu_assert_near (9, cnnfilt_tensor_get_value (y, 1, 2, 0, 0), 0);  /* x[0,2,1] */
  tu_assert_near (15, cnnfilt_tensor_get_value (y, 3, 0, 1, 0), 0); /* x[1,0,3] */

  const gfloat av[] = { 1, 0, 0, 0, 1, 1, 1, 1, 1, 2, 0, 0 }, bv[] = { 1, 2, 3, 4, 5, 6 };
  const gfloat expected[] = { 1, 2, 8, 10, 9, 12, 2, 4 };
  g_autoptr (CnnfiltTensor) a = tu_tensor (av, 2, 2, 3, 1);
  g_autoptr (Model) m = model_new (13);
  model_input (m, "a", DIMS (2, 2, 3));
  model_input (m, "b", DIMS (3, 2));
  model_node (m, "MatMul", "mm", "a,b", "c");
  model_output (m, "c");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "mm", "rank", "3");
  g_autoptr (CnnfiltTensor) b = tu_tensor (bv, 1, 3, 2, 1);
  CnnfiltTensor *inputs[] = { a, b };
  g_autoptr (GError) run_error = NULL;
  ck_assert_msg (cnnfilt_graph_run (graph, inputs, 2, &run_error), "%s",
                 run_error ? run_error->message : "");
  tu_assert_tensor (cnnfilt_graph_get_output (graph, 0), 2, 2, 2, 1, expected, EXACT);

  g_autoptr (Model) k = model_new (13);
  model_input (k, "a", DIMS (2, 2, 3));
  model_initializer (k, float_tensor (k, "b", DIMS (3, 2), VALUES (1, 2, 3, 4, 5, 6)));
  model_node (k, "MatMul", "mm", "a,b", "c");
  model_output (k, "c");
  g_autoptr (CnnfiltGraph) k_graph = import_ok (k);
  ck_assert_str_eq (cnnfilt_op_get_name (cnnfilt_graph_get_op (k_graph, "mm")), "linear");
  assert_property (k_graph, "mm", "axis", "2");
  g_autoptr (CnnfiltTensor) c = run (k_graph, a);
  tu_assert_tensor (c, 2, 2, 2, 1, expected, EXACT);

  g_autoptr (Model) r = model_new (13);
  model_input (r, "a", DIMS (3));
  model_initializer (r, float_tensor (r, "b", DIMS (3, 2), VALUES (1, 2, 3, 4, 5, 6)));
  model_node (r, "MatMul", "mm", "a,b", "c");
  model_output (r, "c");
  g_autoptr (CnnfiltGraph) r_graph = import_ok (r);
  const gfloat row[] = { 1, 0, 1 }, row_expected[] = { 6, 8 };
  g_autoptr (CnnfiltTensor) row_in = tu_tensor (row, 3, 1, 1, 1);
  g_autoptr (CnnfiltTensor) row_out = run (r_graph, row_in);
  tu_assert_tensor (row_out, 2, 1, 1, 1, row_expected, EXACT);

  /* 1-D operands (a vector) are not matrices here */
  g_autoptr (Model) v = model_new (13);
  model_input (v, "a", DIMS (3));
  model_initializer (v, float_tensor (v, "b", DIMS (3), VALUES (1, 2, 3)));
  model_node (v, "MatMul", "mm", "a,b", "c");
  model_output (v, "c");
  g_autoptr (GError) error = import_error (v);
  tu_assert_error (error, CNNFILT_ERROR_INVALID_ARGUMENT, "node 'mm' (MatMul, opset 13)",
                   "the rank of its inputs (1)", "rank: '1' is out of range (2 to 4)");
}
END_TEST

/* ---- Gather, Squeeze and Unsqueeze of tensors --------------------------- */

/* x[:, k] (Gather of a scalar index) is a slice and a reshape that drops
 * the dim; x[k] with k negative counts from the end of a dim known only
 * when the graph runs; indices [k] keep the dim. x is (batch, 3, 4),
 * x[i, c, j] = 12i + 4c + j, the batch free. */
START_TEST (test_gather_index)
{
  static const struct {
    gint64 axis, index;
    gboolean scalar;
    guint n, c, h;
    gsize count;
    gfloat want[12];
  } cases[] = {
    { 1, 2, TRUE, 2, 4, 1, 8, { 8, 9, 10, 11, 20, 21, 22, 23 } },
    { -2, -3, TRUE, 2, 4, 1, 8, { 0, 1, 2, 3, 12, 13, 14, 15 } },
    { 0, -1, TRUE, 3, 4, 1, 12, { 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 } },
    { 2, 3, FALSE, 2, 3, 1, 6, { 3, 7, 11, 15, 19, 23 } },
  };
  gfloat xv[24];
  for (guint i = 0; i < 24; i++)
    xv[i] = i;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Model) m = model_new (13);
      model_input (m, "x", DIMS (-1, 3, 4));
      model_initializer (m, cases[i].scalar ? int64_scalar (m, "k", cases[i].index)
                                            : int64_tensor (m, "k", DIMS (cases[i].index)));
      attr_int (m, model_node (m, "Gather", "take", "x,k", "y"), "axis", cases[i].axis);
      model_output (m, "y");
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 3, 4, 1);
      g_autoptr (CnnfiltTensor) y = run (graph, x);
      tu_assert_tensor_at (__FILE__, __LINE__, y, cases[i].n, cases[i].c, cases[i].h, 1,
                           cases[i].want, cases[i].count, 0);
    }
}
END_TEST

/* Squeeze and Unsqueeze are reshapes: axes as an attribute (opset 11) and
 * as an input (13), negative ones counting in the output's rank for
 * Unsqueeze, Squeeze without axes dropping the dims declared 1. */
START_TEST (test_squeeze_unsqueeze)
{
  const gfloat xv[] = { 0, 1, 2, 3, 4, 5 };
  for (gint64 opset = 11; opset <= 13; opset += 2)
    {
      g_autoptr (Model) m = model_new (opset);
      model_input (m, "x", DIMS (-1, 1, 3));
      Onnx__NodeProto *squeeze, *unsqueeze;
      if (opset < 13)
        {
          attr_ints (m, squeeze = model_node (m, "Squeeze", "s", "x", "y"), "axes", DIMS (1));
          attr_ints (m, unsqueeze = model_node (m, "Unsqueeze", "u", "y", "z"), "axes", DIMS (0));
        }
      else
        {
          model_initializer (m, int64_tensor (m, "one", DIMS (-2)));
          model_initializer (m, int64_tensor (m, "zero", DIMS (-3)));
          squeeze = model_node (m, "Squeeze", "s", "x,one", "y");
          unsqueeze = model_node (m, "Unsqueeze", "u", "y,zero", "z");
        }
      model_output (m, "z");
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      assert_property (graph, "y", "n", "0"); /* the batch stays in place */
      assert_property (graph, "y", "c", "3");
      assert_property (graph, "z", "n", "1");
      assert_property (graph, "z", "c", "-1"); /* the batch moved: inferred */
      g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 1, 3, 1);
      g_autoptr (CnnfiltTensor) z = run (graph, x);
      tu_assert_tensor (z, 1, 2, 3, 1, xv, 0);
    }

  g_autoptr (Model) all = model_new (13);
  model_input (all, "x", DIMS (1, 3, 1, 2));
  model_node (all, "Squeeze", "s", "x", "y");
  model_output (all, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (all);
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 3, 1, 2);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 3, 2, 1, 1, xv, 0);
}
END_TEST

START_TEST (test_gather_squeeze_refused)
{
  static const struct {
    const gchar *op_type;
    gint64 dims[4];
    gint64 axes[2];
    gsize n_axes;
    gint code;
    const gchar *says;
  } cases[] = {
    { "Gather", { 2, 3, 4 }, { 1, 2 }, 2, CNNFILT_ERROR_UNSUPPORTED, "only one constant integer index" },
    { "Gather", { 2, 3, 4 }, { 3 }, 1, CNNFILT_ERROR_INVALID_ARGUMENT, "index 3 is out of range for a dim of 3" },
    { "Squeeze", { 2, 3, 4 }, { 1 }, 1, CNNFILT_ERROR_SHAPE, "dim 1 of the input is 3" },
    { "Squeeze", { 2, 1, 4 }, { 1, -2 }, 2, CNNFILT_ERROR_INVALID_ARGUMENT, "or given twice" },
    { "Squeeze", { -1, 1, 4 }, { 0 }, 0, CNNFILT_ERROR_UNSUPPORTED, "dim 0 of the input is not known here" },
    { "Unsqueeze", { 2, 3, 4 }, { 0, 1 }, 2, CNNFILT_ERROR_UNSUPPORTED, "the output has rank 5" },
    { "Unsqueeze", { 2, 3, 4 }, { 4 }, 1, CNNFILT_ERROR_INVALID_ARGUMENT, "axis 4 is out of range for rank 4" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Model) m = model_new (13);
      model_input (m, "x", 3, cases[i].dims);
      if (cases[i].n_axes > 0)
        model_initializer (m, int64_tensor (m, "k", cases[i].n_axes, cases[i].axes));
      Onnx__NodeProto *node = model_node (m, cases[i].op_type, "node",
                                          cases[i].n_axes > 0 ? "x,k" : "x", "y");
      if (g_str_equal (cases[i].op_type, "Gather"))
        attr_int (m, node, "axis", 1);
      model_output (m, "y");
      g_autoptr (GError) error = import_error (m);
      g_autofree gchar *prefix = g_strdup_printf ("node 'node' (%s, opset 13)", cases[i].op_type);
      tu_assert_error (error, cases[i].code, prefix, cases[i].says);
    }

  /* indices computed by the graph */
  g_autoptr (Model) computed = model_new (13);
  model_input (computed, "x", DIMS (2, 3));
  model_input (computed, "k", DIMS (1));
  model_node (computed, "Gather", "node", "x,k", "y");
  model_output (computed, "y");
  g_autoptr (GError) error = import_error (computed);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'node' (Gather",
                   "the indices are not a constant of integers");
}
END_TEST

/* class_token.expand(n, -1, -1) as PyTorch exports it for a fixed n:
 * ConstantOfShape fills [1, 1], Mul makes it [-1, -1], Equal and Where
 * put 1 for each -1 of the target [2, -1], folded at import into [2, 1];
 * Expand to it is an expand op. x (1, 3) becomes its row twice. */
START_TEST (test_expand_folded)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 3));
  model_initializer (m, int64_tensor (m, "two", DIMS (2)));
  Onnx__NodeProto *fill = model_node (m, "ConstantOfShape", "fill", "two", "ones");
  Onnx__TensorProto *one = int64_tensor (m, "", DIMS (1));
  attr_tensor (m, fill, "value", one);
  model_initializer (m, int64_scalar (m, "minus", -1));
  model_node (m, "Mul", "negate", "ones,minus", "minuses");
  model_initializer (m, int64_tensor (m, "target", DIMS (2, -1)));
  model_node (m, "Equal", "equal", "target,minuses", "is_free");
  model_node (m, "Where", "where", "is_free,ones,target", "shape");
  model_node (m, "Expand", "expand", "x,shape", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  const gfloat xv[] = { 1, 2, 3 }, want[] = { 1, 2, 3, 1, 2, 3 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 3, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 2, 3, 1, 1, want, 0);

  /* to the batch of another input, known only when the graph runs: an
   * expand reading that input's dims */
  g_autoptr (Model) free = model_new (13);
  model_input (free, "x", DIMS (1, 3));
  model_input (free, "batch", DIMS (-1, 3));
  model_node (free, "Shape", "shape", "batch", "s");
  model_node (free, "Expand", "expand", "x,s", "y");
  model_output (free, "y");
  g_autoptr (CnnfiltGraph) free_graph = import_ok (free);
  assert_property (free_graph, "expand", "shape", "d0,3");
  g_autoptr (CnnfiltTensor) batch = cnnfilt_tensor_new (4, 3, 1, 1, NULL);
  CnnfiltTensor *inputs[] = { x, batch };
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_graph_run (free_graph, inputs, 2, &error), "%s",
                 error ? error->message : "");
  const gfloat rows[] = { 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3 };
  tu_assert_tensor (cnnfilt_graph_get_output (free_graph, 0), 4, 3, 1, 1, rows, 0);

  /* a rank-1 input expanded to rank 2: aligned first, numpy's way */
  g_autoptr (Model) low = model_new (13);
  model_input (low, "x", DIMS (3));
  model_initializer (low, int64_tensor (low, "target", DIMS (2, 1)));
  model_node (low, "Expand", "expand", "x,target", "y");
  model_output (low, "y");
  g_autoptr (CnnfiltGraph) low_graph = import_ok (low);
  g_autoptr (CnnfiltTensor) row = tu_tensor (xv, 3, 1, 1, 1);
  g_autoptr (CnnfiltTensor) twice = run (low_graph, row);
  tu_assert_tensor (twice, 2, 3, 1, 1, want, 0);

  /* a size known only at run time compared with a positive number */
  g_autoptr (Model) compared = model_new (13);
  model_input (compared, "x", DIMS (-1, 3));
  model_node (compared, "Shape", "shape", "x", "s");
  model_initializer (compared, int64_tensor (compared, "want", DIMS (2, 3)));
  model_node (compared, "Equal", "equal", "s,want", "e");
  model_node (compared, "Where", "where", "e,want,s", "t");
  model_node (compared, "Reshape", "reshape", "x,t", "y");
  model_output (compared, "y");
  g_autoptr (GError) compared_error = import_error (compared);
  tu_assert_error (compared_error, CNNFILT_ERROR_UNSUPPORTED, "node 'equal' (Equal",
                   "compares a size known only when the graph runs");
}
END_TEST

/* ---- Constants computed at import, views of more than four dims -------- */

/* A float scalar tensor, for Constant-like inputs. */
static Onnx__TensorProto *
float_scalar (Model *m, const gchar *name, gfloat value)
{
  return float_tensor (m, name, 0, NULL, 1, &value);
}

/* A mask built from constants the way Swin's is (Range, Mod, a reversing
 * Slice, Cast, Reshape, Transpose, ScatterND, Equal, Not, Where,
 * Unsqueeze), each step worked by hand, then added to the input: the
 * graph holds one constant. */
START_TEST (test_constant_fold)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, 1, 2, 3));
  model_initializer (m, int64_scalar (m, "zero", 0));
  model_initializer (m, int64_scalar (m, "six", 6));
  model_initializer (m, int64_scalar (m, "one", 1));
  model_initializer (m, int64_scalar (m, "four", 4));
  model_initializer (m, int64_scalar (m, "two", 2));
  model_initializer (m, int64_scalar (m, "three", 3));
  model_node (m, "Range", "range", "zero,six,one", "r");           /* 0 1 2 3 4 5 */
  model_node (m, "Mod", "mod4", "r,four", "m");                    /* 0 1 2 3 0 1 */
  model_node (m, "Sub", "sub", "m,two", "d");                      /* -2 -1 0 1 -2 -1 */
  model_node (m, "Mod", "mod3", "d,three", "p");                   /* 1 2 0 1 1 2 (Python's) */
  model_initializer (m, int64_tensor (m, "minus1", DIMS (-1)));
  model_initializer (m, int64_tensor (m, "very_negative", DIMS (G_MININT64)));
  model_initializer (m, int64_tensor (m, "axis0", DIMS (0)));
  model_node (m, "Slice", "reverse", "p,minus1,very_negative,axis0,minus1", "s"); /* 2 1 1 0 2 1 */
  Onnx__NodeProto *cast = model_node (m, "Cast", "cast", "s", "c");
  attr_int (m, cast, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
  model_initializer (m, int64_tensor (m, "two_by_three", DIMS (2, 3)));
  model_node (m, "Reshape", "rows", "c,two_by_three", "g");       /* [2 1 1] [0 2 1] */
  model_node (m, "Transpose", "turn", "g", "t");                   /* [2 0] [1 2] [1 1] */
  gint64 index_dims[] = { 1, 2 };
  Onnx__TensorProto *indices = tensor_proto (m, "at", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 2, index_dims);
  indices->n_int64_data = 2;
  indices->int64_data = arena_alloc (m, 2 * sizeof (gint64));
  indices->int64_data[0] = 0;
  indices->int64_data[1] = 1;
  model_initializer (m, indices);
  const gfloat five = 5;
  model_initializer (m, float_tensor (m, "updates", DIMS (1), 1, &five));
  model_node (m, "ScatterND", "assign", "t,at,updates", "a");     /* [2 5] [1 2] [1 1] */
  model_initializer (m, float_scalar (m, "onef", 1));
  model_node (m, "Equal", "equal", "a,onef", "e");                /* [0 0] [1 0] [1 1] */
  model_node (m, "Not", "not", "e", "n");                         /* [1 1] [0 1] [0 0] */
  model_initializer (m, float_scalar (m, "fill", -100));
  model_node (m, "Where", "where", "n,fill,a", "w");              /* [-100 -100] [1 -100] [1 1] */
  model_node (m, "Transpose", "back", "w", "b");                  /* [-100 1 1] [-100 -100 1] */
  model_initializer (m, int64_tensor (m, "axes01", DIMS (0, 1)));
  model_node (m, "Unsqueeze", "lift", "b,axes01", "mask");
  model_node (m, "Add", "add", "x,mask", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  g_auto (GStrv) names = cnnfilt_graph_get_node_names (graph);
  ck_assert_uint_eq (g_strv_length (names), 3); /* x, the mask, add */
  const gfloat xv[] = { 1, 2, 3, 4, 5, 6 };
  const gfloat want[] = { -99, 3, 4, -96, -95, 7 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 1, 2, 3);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 1, 1, 2, 3, want, 0);

  /* what the folder refuses, naming the node */
  g_autoptr (Model) live = model_new (13);
  model_input (live, "x", DIMS (1, 3));
  model_initializer (live, float_scalar (live, "two", 2));
  Onnx__NodeProto *mod = model_node (live, "Mod", "mod", "x,two", "y");
  attr_int (live, mod, "fmod", 1);
  model_output (live, "y");
  g_autoptr (GError) live_error = import_error (live);
  tu_assert_error (live_error, CNNFILT_ERROR_UNSUPPORTED, "node 'mod' (Mod",
                   "supported only on constants");

  g_autoptr (Model) zero_step = model_new (13);
  model_input (zero_step, "x", DIMS (1, 3));
  model_initializer (zero_step, int64_scalar (zero_step, "a", 0));
  model_initializer (zero_step, int64_scalar (zero_step, "b", 3));
  model_node (zero_step, "Range", "range", "a,b,a", "r");
  Onnx__NodeProto *to_float = model_node (zero_step, "Cast", "cast", "r", "f");
  attr_int (zero_step, to_float, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
  model_node (zero_step, "Add", "add", "x,f", "y");
  model_output (zero_step, "y");
  g_autoptr (GError) step_error = import_error (zero_step);
  tu_assert_error (step_error, CNNFILT_ERROR_UNSUPPORTED, "node 'range' (Range",
                   "its delta is 0");

  /* Range's values past 64 bits: start -2^63 by steps of 2^62 to 2^63 - 1 */
  g_autoptr (Model) wide = model_new (13);
  model_input (wide, "x", DIMS (1, 4));
  model_initializer (wide, int64_scalar (wide, "a", G_MININT64));
  model_initializer (wide, int64_scalar (wide, "b", G_MAXINT64));
  model_initializer (wide, int64_scalar (wide, "d", G_GINT64_CONSTANT (1) << 62));
  model_node (wide, "Range", "range", "a,b,d", "r");
  Onnx__NodeProto *wide_cast = model_node (wide, "Cast", "cast", "r", "f");
  attr_int (wide, wide_cast, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
  model_node (wide, "Add", "add", "x,f", "y");
  model_output (wide, "y");
  g_autoptr (GError) wide_error = import_error (wide);
  tu_assert_error (wide_error, CNNFILT_ERROR_UNSUPPORTED, "node 'range' (Range",
                   "out of 64-bit range");

  g_autoptr (Model) reduce = model_new (16);
  model_input (reduce, "x", DIMS (1, 2));
  model_initializer (reduce, float_tensor (reduce, "data", DIMS (2), 2, xv));
  model_initializer (reduce, int64_tensor (reduce, "at", DIMS (1, 1)));
  model_initializer (reduce, float_tensor (reduce, "updates", DIMS (1), 1, &five));
  Onnx__NodeProto *scatter = model_node (reduce, "ScatterND", "scatter", "data,at,updates", "s");
  attr_string (reduce, scatter, "reduction", "add");
  model_node (reduce, "Add", "add", "x,s", "y");
  model_output (reduce, "y");
  g_autoptr (GError) reduce_error = import_error (reduce);
  tu_assert_error (reduce_error, CNNFILT_ERROR_UNSUPPORTED, "node 'scatter' (ScatterND",
                   "only reduction 'none'");
}
END_TEST

/* y = rx + (height of @shape_of) % 3, the height read with Shape and
 * computed at import */
static void
add_height_mod_3 (Model *m, const gchar *shape_of)
{
  model_node (m, "Shape", "shape", shape_of, "s");
  model_initializer (m, int64_scalar (m, "two", 2));
  model_node (m, "Gather", "height", "s,two", "h");
  model_initializer (m, int64_scalar (m, "three", 3));
  model_node (m, "Mod", "mod", "h,three", "r");
  Onnx__NodeProto *cast = model_node (m, "Cast", "cast", "r", "f");
  attr_int (m, cast, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
  model_node (m, "Add", "add", "rx,f", "y");
  model_output (m, "y");
}

/* Runs a graph that adds its input's height mod 3 on @n images of 4×4
 * (each value i comes out i + 1), and on a 5-tall one, which it must
 * refuse naming @refused_at ("relu: dim 2 is 5") and the 4 it was imported
 * for. */
static void
assert_height_mod_3 (CnnfiltGraph *graph, guint n, const gchar *refused_at)
{
  gfloat xv[2 * 16], want[2 * 16];
  g_assert (n <= 2);
  for (guint i = 0; i < n * 16; i++)
    {
      xv[i] = i;
      want[i] = i + 1; /* 4 % 3 */
    }
  g_autoptr (CnnfiltTensor) x = tu_tensor_at (__FILE__, __LINE__, xv, n * 16, n, 1, 4, 4);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor_at (__FILE__, __LINE__, y, n, 1, 4, 4, want, n * 16, 0);
  g_autoptr (CnnfiltTensor) tall = cnnfilt_tensor_new (1, 1, 5, 4, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltTensor) none = cnnfilt_graph_process (graph, tall, &error);
  ck_assert_ptr_null (none);
  tu_assert_error (error, CNNFILT_ERROR_SHAPE, refused_at, "imported for 4");
}

/* A constant computed from a size that the graph computes (the height
 * of relu(x) % 3, as Swin's paddings are): computed at import at the
 * sizes the input declares, and the graph refuses to run at another
 * height rather than add the wrong number. */
START_TEST (test_constant_fold_guard)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (-1, 1, 4, 4));
  model_node (m, "Relu", "relu", "x", "rx");
  add_height_mod_3 (m, "rx");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_height_mod_3 (graph, 2, "relu: dim 2 is 5");
  /* the width is not read: any goes */
  const gfloat zeros[20] = { 0 }, ones[20] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                           1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  g_autoptr (CnnfiltTensor) wide = tu_tensor (zeros, 1, 1, 4, 5);
  g_autoptr (CnnfiltTensor) wide_y = run (graph, wide);
  tu_assert_tensor (wide_y, 1, 1, 4, 5, ones, 0);
}
END_TEST

/* A size the model declares and Shape reads, in value_info or as a graph
 * input's fixed dim, is a promise the run must keep: the input that
 * breaks it is refused by name, not computed with the declared number. */
START_TEST (test_declared_dim_guard)
{
  for (guint in_value_info = 0; in_value_info < 2; in_value_info++)
    {
      g_autoptr (Model) m = model_new (13);
      if (in_value_info)
        {
          model_input (m, "x", DIMS (-1, 1, -1, -1));
          model_node (m, "Relu", "relu", "x", "rx");
          APPEND (m, m->graph->value_info, m->graph->n_value_info,
                  value_info (m, "rx", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, DIMS (-1, 1, 4, 4)));
        }
      else
        {
          model_input (m, "x", DIMS (-1, 1, 4, 4));
          model_node (m, "Relu", "relu", "x", "rx");
        }
      add_height_mod_3 (m, in_value_info ? "rx" : "x");
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      assert_height_mod_3 (graph, 1, in_value_info ? "relu: dim 2 is 5" : "x: dim 2 is 5");
    }
}
END_TEST

/* Swin's window partition at rank 6: x (n, 4, 4, 2), x[b, i, j, c] =
 * 32b + 8i + 2j + c, viewed (n, 2, 2, 2, 2, 2), permuted (0, 1, 3, 2, 4,
 * 5) and reshaped to (n·4, 4, 2): window w = 2·(i/2) + j/2 holds its 2×2
 * pixels in row order. Then the reverse. */
START_TEST (test_view_window_partition)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (-1, 4, 4, 2));
  model_initializer (m, int64_tensor (m, "six", DIMS (-1, 2, 2, 2, 2, 2)));
  model_node (m, "Reshape", "split", "x,six", "v");
  Onnx__NodeProto *swap = model_node (m, "Transpose", "swap", "v", "t");
  attr_ints (m, swap, "perm", DIMS (0, 1, 3, 2, 4, 5));
  model_initializer (m, int64_tensor (m, "windows", DIMS (-1, 4, 2)));
  model_node (m, "Reshape", "windows", "t,windows", "y");
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  gfloat xv[64], want[64];
  for (guint b = 0; b < 2; b++)
    for (guint i = 0; i < 4; i++)
      for (guint j = 0; j < 4; j++)
        for (guint c = 0; c < 2; c++)
          {
            guint w = 4 * b + 2 * (i / 2) + j / 2, p = 2 * (i % 2) + j % 2;
            xv[32 * b + 8 * i + 2 * j + c] = 32 * b + 8 * i + 2 * j + c;
            want[8 * w + 2 * p + c] = 32 * b + 8 * i + 2 * j + c;
          }
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 4, 4, 2);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  tu_assert_tensor (y, 8, 4, 2, 1, want, 0);

  /* and back: (n·4, 4, 2) viewed (n, 2, 2, 2, 2, 2), the same
   * permutation, reshaped to (n, 4, 4, 2) */
  g_autoptr (Model) back = model_new (13);
  model_input (back, "w", DIMS (-1, 4, 2));
  model_initializer (back, int64_tensor (back, "six", DIMS (-1, 2, 2, 2, 2, 2)));
  model_node (back, "Reshape", "split", "w,six", "v");
  Onnx__NodeProto *unswap = model_node (back, "Transpose", "swap", "v", "t");
  attr_ints (back, unswap, "perm", DIMS (0, 1, 3, 2, 4, 5));
  model_initializer (back, int64_tensor (back, "image", DIMS (-1, 4, 4, 2)));
  model_node (back, "Reshape", "merge", "t,image", "z");
  model_output (back, "z");
  g_autoptr (CnnfiltGraph) back_graph = import_ok (back);
  g_autoptr (CnnfiltTensor) z = run (back_graph, y);
  tu_assert_tensor (z, 2, 4, 4, 2, xv, 0);

  /* a permutation of six dims that keeps no two together is refused
   * where an op reads it, naming the node */
  g_autoptr (Model) scattered = model_new (13);
  model_input (scattered, "x", DIMS (1, 4, 4, 2));
  model_initializer (scattered, int64_tensor (scattered, "six", DIMS (1, 2, 2, 2, 2, 2)));
  model_node (scattered, "Reshape", "split", "x,six", "v");
  Onnx__NodeProto *shuffle = model_node (scattered, "Transpose", "shuffle", "v", "t");
  attr_ints (scattered, shuffle, "perm", DIMS (5, 3, 1, 4, 2, 0));
  model_initializer (scattered, int64_tensor (scattered, "flat", DIMS (1, 32)));
  model_node (scattered, "Reshape", "flat", "t,flat", "y");
  model_output (scattered, "y");
  g_autoptr (GError) error = import_error (scattered);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'flat' (Reshape",
                   "permuted in 6 groups");

  /* an op that needs the six dims, a graph output of six dims, sizes
   * past any tensor: refused by name */
  const gchar *const readers[] = { "Relu", "output" };
  for (guint r = 0; r < G_N_ELEMENTS (readers); r++)
    {
      g_autoptr (Model) six = model_new (13);
      model_input (six, "x", DIMS (1, 4, 4, 2));
      model_initializer (six, int64_tensor (six, "six", DIMS (1, 2, 2, 2, 2, 2)));
      model_node (six, "Reshape", "split", "x,six", r == 0 ? "v" : "y");
      if (r == 0)
        model_node (six, "Relu", "relu", "v", "y");
      model_output (six, "y");
      g_autoptr (GError) six_error = import_error (six);
      tu_assert_error (six_error, CNNFILT_ERROR_UNSUPPORTED,
                       r == 0 ? "node 'relu' (Relu" : "node 'y' (output", "6 dims");
    }
  g_autoptr (Model) huge = model_new (13);
  model_input (huge, "x", DIMS (1, 4, 4, 2));
  model_initializer (huge, int64_tensor (huge, "six", DIMS (G_GINT64_CONSTANT (1) << 40, 1, 1, 1, 1, 1)));
  model_node (huge, "Reshape", "split", "x,six", "y");
  model_output (huge, "y");
  g_autoptr (GError) huge_error = import_error (huge);
  tu_assert_error (huge_error, CNNFILT_ERROR_FORMAT, "node 'split' (Reshape", "too large");
}
END_TEST

/* Swin's q/k/v split: (n, 3, 12) viewed (n, 3, 3, 2, 2) as (tokens,
 * q/k/v, heads, d), permuted (2, 0, 3, 1, 4), and k (index 1) gathered:
 * (n, heads, tokens, d), k[b, h, t, e] = x[b, t, 4 + 2h + e]. Then a
 * rank-5 mask added: the scores (n·2, 2, 3, 3) viewed (n, 2, 2, 3, 3) plus
 * a constant (1, 2, 1, 3, 3) and viewed back. */
START_TEST (test_view_gather_broadcast)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (-1, 3, 12));
  model_initializer (m, int64_tensor (m, "five", DIMS (-1, 3, 3, 2, 2)));
  model_node (m, "Reshape", "split", "x,five", "v");
  Onnx__NodeProto *perm = model_node (m, "Transpose", "heads", "v", "t");
  attr_ints (m, perm, "perm", DIMS (2, 0, 3, 1, 4));
  model_initializer (m, int64_scalar (m, "one", 1));
  model_node (m, "Gather", "k", "t,one", "k");
  model_output (m, "k");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  gfloat xv[72], want[24];
  for (guint i = 0; i < 72; i++)
    xv[i] = i;
  for (guint b = 0; b < 2; b++)
    for (guint h = 0; h < 2; h++)
      for (guint t = 0; t < 3; t++)
        for (guint e = 0; e < 2; e++)
          want[12 * b + 6 * h + 2 * t + e] = 36 * b + 12 * t + 4 + 2 * h + e;
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 3, 12, 1);
  g_autoptr (CnnfiltTensor) k = run (graph, x);
  tu_assert_tensor (k, 2, 2, 3, 2, want, 0);

  g_autoptr (Model) masked = model_new (13);
  model_input (masked, "s", DIMS (-1, 2, 3, 3));
  model_initializer (masked, int64_tensor (masked, "five", DIMS (-1, 2, 2, 3, 3)));
  model_node (masked, "Reshape", "view", "s,five", "v");
  gfloat mv[18];
  for (guint i = 0; i < 18; i++)
    mv[i] = 100 * (i / 9) + (i % 9);
  /* of rank 5 as Swin's is: an Unsqueeze computed at import */
  model_initializer (masked, float_tensor (masked, "mask4", DIMS (1, 2, 3, 3), 18, mv));
  model_initializer (masked, int64_tensor (masked, "axis2", DIMS (2)));
  model_node (masked, "Unsqueeze", "lift", "mask4,axis2", "mask");
  model_node (masked, "Add", "add", "v,mask", "a");
  model_initializer (masked, int64_tensor (masked, "four", DIMS (-1, 2, 3, 3)));
  model_node (masked, "Reshape", "back", "a,four", "y");
  model_output (masked, "y");
  /* the same mask given as a rank-5 initializer */
  g_autoptr (Model) given = model_new (13);
  model_input (given, "s", DIMS (-1, 2, 3, 3));
  model_initializer (given, int64_tensor (given, "five", DIMS (-1, 2, 2, 3, 3)));
  model_node (given, "Reshape", "view", "s,five", "v");
  model_initializer (given, float_tensor (given, "mask", DIMS (1, 2, 1, 3, 3), 18, mv));
  model_node (given, "Add", "add", "v,mask", "a");
  model_initializer (given, int64_tensor (given, "four", DIMS (-1, 2, 3, 3)));
  model_node (given, "Reshape", "back", "a,four", "y");
  model_output (given, "y");
  gfloat sv[72], plus[72];
  for (guint i = 0; i < 72; i++)
    {
      guint window = (i / 18) % 2, cell = i % 9;
      sv[i] = 1000 * i;
      plus[i] = sv[i] + 100 * window + cell;
    }
  g_autoptr (CnnfiltTensor) s = tu_tensor (sv, 4, 2, 3, 3);
  Model *models[] = { masked, given };
  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autoptr (CnnfiltGraph) masked_graph = import_ok (models[i]);
      g_autoptr (CnnfiltTensor) y = run (masked_graph, s);
      tu_assert_tensor (y, 4, 2, 3, 3, plus, 0);
    }
}
END_TEST

/* ---- Split and Slice ---------------------------------------------------- */

/* Runs a graph of one input and several outputs on @x; output @k. */
static CnnfiltTensor *
output_at (CnnfiltGraph *graph, CnnfiltTensor *x, guint k)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (cnnfilt_graph_run (graph, &x, 1, &error), "run failed: %s",
                 error ? error->message : "(no error)");
  CnnfiltTensor *output = cnnfilt_graph_get_output (graph, k);
  ck_assert_msg (output != NULL, "no output %u", k);
  return output;
}

/* Split becomes one slice node per output, named after it: a (2, 6, 2)
 * input, x[i, c, j] = 12i + 2c + j, split along axis -2 (1) in 1, 2 and 3
 * channels, by the `split` attribute (opset 11) and by a constant input
 * (opset 13). */
START_TEST (test_split)
{
  gfloat xv[24];
  for (guint i = 0; i < 24; i++)
    xv[i] = i;
  for (gint64 opset = 11; opset <= 13; opset += 2)
    {
      g_autoptr (Model) m = model_new (opset);
      model_input (m, "x", DIMS (2, 6, 2));
      Onnx__NodeProto *split;
      if (opset < 13)
        {
          split = model_node (m, "Split", "split", "x", "a,b,c");
          attr_ints (m, split, "split", DIMS (1, 2, 3));
        }
      else
        {
          model_initializer (m, int64_tensor (m, "sizes", DIMS (1, 2, 3)));
          split = model_node (m, "Split", "split", "x,sizes", "a,b,c");
        }
      attr_int (m, split, "axis", -2);
      model_output (m, "a");
      model_output (m, "b");
      model_output (m, "c");
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      g_autofree gchar *names = node_names (graph);
      ck_assert_str_eq (names, "x,a,b,c");
      assert_property (graph, "b", "starts", "1");
      assert_property (graph, "b", "ends", "3");
      assert_property (graph, "b", "axes", "1");
      assert_property (graph, "b", "rank", "3");
      g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 2, 6, 2, 1);
      g_autoptr (CnnfiltTensor) a = output_at (graph, x, 0);
      g_autoptr (CnnfiltTensor) b = output_at (graph, x, 1);
      g_autoptr (CnnfiltTensor) c = output_at (graph, x, 2);
      const gfloat want_a[] = { 0, 1, 12, 13 }, want_b[] = { 2, 3, 4, 5, 14, 15, 16, 17 };
      const gfloat want_c[] = { 6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23 };
      tu_assert_tensor (a, 2, 1, 2, 1, want_a, 0);
      tu_assert_tensor (b, 2, 2, 2, 1, want_b, 0);
      tu_assert_tensor (c, 2, 3, 2, 1, want_c, 0);
    }
}
END_TEST

/* Without sizes the parts are equal: numbers where the dim is declared,
 * multiples of it over the number of parts where it is known only when the
 * graph runs (here 6 columns in three parts). An output that nothing
 * reads gets no node. */
START_TEST (test_split_equal)
{
  g_autoptr (Model) m = model_new (13);
  model_input (m, "x", DIMS (1, -1));
  attr_int (m, model_node (m, "Split", "split", "x", "a,b,c"), "axis", 1);
  model_output (m, "a");
  model_output (m, "c");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  g_autofree gchar *names = node_names (graph);
  ck_assert_str_eq (names, "x,a,c");
  assert_property (graph, "c", "starts", "d1*2/3");
  assert_property (graph, "c", "ends", "d1*3/3");
  const gfloat xv[] = { 0, 1, 2, 3, 4, 5 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 6, 1, 1);
  g_autoptr (CnnfiltTensor) a = output_at (graph, x, 0);
  g_autoptr (CnnfiltTensor) c = output_at (graph, x, 1);
  const gfloat want_a[] = { 0, 1 }, want_c[] = { 4, 5 };
  tu_assert_tensor (a, 1, 2, 1, 1, want_a, 0);
  tu_assert_tensor (c, 1, 2, 1, 1, want_c, 0);

  /* opset 2: axis 0 by default, the declared dim 4 in halves */
  g_autoptr (Model) known = model_new (2);
  model_input (known, "x", DIMS (4));
  model_node (known, "Split", "split", "x", "a,b");
  model_output (known, "b");
  g_autoptr (CnnfiltGraph) known_graph = import_ok (known);
  assert_property (known_graph, "b", "starts", "2");
  assert_property (known_graph, "b", "ends", "4");
  assert_property (known_graph, "b", "axes", "0");
}
END_TEST

/* A Split model of opset @opset: x (2, 6) in outputs a and b along axis 1,
 * with @sizes (NULL: none) as the attribute before opset 13 and as a
 * constant input from 13. */
static Model *
split_model (gint64 opset, gsize n_sizes, const gint64 *sizes)
{
  Model *m = model_new (opset);
  model_input (m, "x", DIMS (2, 6));
  Onnx__NodeProto *split;
  if (sizes != NULL && opset >= 13)
    {
      model_initializer (m, int64_tensor (m, "sizes", n_sizes, sizes));
      split = model_node (m, "Split", "split", "x,sizes", "a,b");
    }
  else
    {
      split = model_node (m, "Split", "split", "x", "a,b");
      if (sizes != NULL)
        attr_ints (m, split, "split", n_sizes, sizes);
    }
  attr_int (m, split, "axis", 1);
  model_output (m, "a");
  model_output (m, "b");
  return m;
}

START_TEST (test_split_refused)
{
  static const struct {
    gint64 opset;
    gsize n_sizes;
    gint64 sizes[2];
    gint code;
    const gchar *says;
  } cases[] = {
    { 11, 2, { 2, 3 }, CNNFILT_ERROR_INVALID_ARGUMENT, "2 split sizes summing to 5 for 2 outputs" },
    { 13, 1, { 6 }, CNNFILT_ERROR_INVALID_ARGUMENT, "1 split sizes summing to 6 for 2 outputs" },
    { 13, 2, { 0, 6 }, CNNFILT_ERROR_UNSUPPORTED, "split size 0 is 0; only sizes from 1" },
    { 11, 2, { -1, 7 }, CNNFILT_ERROR_UNSUPPORTED, "split size 0 is -1" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Model) m = split_model (cases[i].opset, cases[i].n_sizes, cases[i].sizes);
      g_autoptr (GError) error = import_error (m);
      tu_assert_error (error, cases[i].code, "node 'split' (Split", cases[i].says);
    }

  /* seven columns do not halve */
  g_autoptr (Model) odd = model_new (13);
  model_input (odd, "x", DIMS (2, 7));
  attr_int (odd, model_node (odd, "Split", "split", "x", "a,b"), "axis", -1);
  model_output (odd, "a");
  g_autoptr (GError) odd_error = import_error (odd);
  tu_assert_error (odd_error, CNNFILT_ERROR_INVALID_ARGUMENT, "2 outputs of a dim of 7",
                   "not equal parts");

  /* the attribute after opset 12, the input between 2 and 12 */
  g_autoptr (Model) late = split_model (13, 0, NULL);
  attr_ints (late, late->graph->node[0], "split", DIMS (3, 3));
  g_autoptr (GError) late_error = import_error (late);
  tu_assert_error (late_error, CNNFILT_ERROR_UNSUPPORTED, "attribute 'split' is not supported "
                   "from opset 13");
  g_autoptr (Model) early = split_model (11, 0, NULL);
  model_initializer (early, int64_tensor (early, "sizes", DIMS (3, 3)));
  Onnx__NodeProto *node = early->graph->node[0];
  APPEND (early, node->input, node->n_input, arena_strdup (early, "sizes"));
  g_autoptr (GError) early_error = import_error (early);
  tu_assert_error (early_error, CNNFILT_ERROR_UNSUPPORTED, "input 1 is not supported at this "
                   "opset");

  /* sizes computed from a shape the graph knows only when it runs */
  g_autoptr (Model) computed = model_new (13);
  model_input (computed, "x", DIMS (-1, 6));
  model_node (computed, "Shape", "shape", "x", "s");
  model_node (computed, "Split", "split", "x,s", "a,b");
  model_output (computed, "a");
  g_autoptr (GError) computed_error = import_error (computed);
  tu_assert_error (computed_error, CNNFILT_ERROR_UNSUPPORTED, "input 1 ('s') must be a constant");

  /* an axis beyond the rank */
  g_autoptr (Model) far = model_new (13);
  model_input (far, "x", DIMS (2, 6));
  attr_int (far, model_node (far, "Split", "split", "x", "a,b"), "axis", 2);
  model_output (far, "a");
  g_autoptr (GError) far_error = import_error (far);
  tu_assert_error (far_error, CNNFILT_ERROR_INVALID_ARGUMENT, "'axis' is out of range",
                   "rank-2");
}
END_TEST

/* PyTorch's x.chunk(2, 1) as torchvision's ShuffleNetV2 exports it (opsets
 * 11 to 17): the bounds are Shape → Gather → Add 1 → Div 2 → Mul 1 or 2,
 * folded into expressions of the input's dim 1, which is known only when
 * the graph runs; 5 channels part in 3 and 2, as in PyTorch. */
START_TEST (test_slice_chunk)
{
  for (gint64 opset = 11; opset <= 13; opset += 2)
    {
      g_autoptr (Model) m = model_new (opset);
      model_input (m, "x", DIMS (1, -1, 2));
      model_initializer (m, int64_tensor (m, "zero", DIMS (0)));
      model_initializer (m, int64_tensor (m, "one", DIMS (1)));
      model_initializer (m, int64_tensor (m, "two", DIMS (2)));
      model_node (m, "Shape", "shape", "x", "s");
      model_node (m, "Gather", "gather", "s,one", "c");
      model_node (m, "Add", "add", "c,one", "c1");
      model_node (m, "Div", "div", "c1,two", "half");
      model_node (m, "Mul", "mul1", "half,one", "e1");
      model_node (m, "Mul", "mul2", "half,two", "e2");
      model_node (m, "Slice", "lo", "x,zero,e1,one", "lo");
      model_node (m, "Slice", "hi", "x,e1,e2,one", "hi");
      model_output (m, "lo");
      model_output (m, "hi");
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      g_autofree gchar *names = node_names (graph);
      ck_assert_str_eq (names, "x,lo,hi");
      assert_property (graph, "lo", "starts", "0");
      assert_property (graph, "lo", "ends", "((d1+1)/2*1)");
      assert_property (graph, "hi", "starts", "((d1+1)/2*1)");
      assert_property (graph, "hi", "ends", "((d1+1)/2*2)");
      assert_property (graph, "hi", "axes", "1");
      assert_property (graph, "hi", "rank", "3");
      gfloat xv[10];
      for (guint i = 0; i < 10; i++)
        xv[i] = i;
      g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 5, 2, 1);
      g_autoptr (CnnfiltTensor) lo = output_at (graph, x, 0);
      g_autoptr (CnnfiltTensor) hi = output_at (graph, x, 1);
      const gfloat want_lo[] = { 0, 1, 2, 3, 4, 5 }, want_hi[] = { 6, 7, 8, 9 };
      tu_assert_tensor (lo, 1, 3, 2, 1, want_lo, 0);
      tu_assert_tensor (hi, 1, 2, 2, 1, want_hi, 0);
    }

  /* bounds from the size of another tensor, or from data, are refused */
  g_autoptr (Model) other = model_new (13);
  model_input (other, "x", DIMS (1, -1));
  model_input (other, "y", DIMS (1, -1));
  model_initializer (other, int64_tensor (other, "zero", DIMS (0)));
  model_initializer (other, int64_tensor (other, "one", DIMS (1)));
  model_node (other, "Shape", "shape", "y", "s");
  model_node (other, "Gather", "gather", "s,one", "c");
  model_node (other, "Slice", "slice", "x,zero,c,one", "z");
  model_output (other, "z");
  g_autoptr (GError) other_error = import_error (other);
  tu_assert_error (other_error, CNNFILT_ERROR_UNSUPPORTED, "node 'slice' (Slice, opset 13)",
                   "input 2 ('c'): value 0 is a size known only when the graph runs, of another "
                   "tensor than input 0");
  g_autoptr (Model) data = model_new (13);
  model_input (data, "x", DIMS (1, 4));
  model_input (data, "e", DIMS (1));
  model_initializer (data, int64_tensor (data, "zero", DIMS (0)));
  model_node (data, "Slice", "slice", "x,zero,e", "z");
  model_output (data, "z");
  g_autoptr (GError) data_error = import_error (data);
  tu_assert_error (data_error, CNNFILT_ERROR_UNSUPPORTED, "input 2 ('e') must be a constant");

  /* a chain of Adds would grow the expression without end */
  g_autoptr (Model) chain = model_new (13);
  model_input (chain, "x", DIMS (1, -1));
  model_initializer (chain, int64_tensor (chain, "one", DIMS (1)));
  model_node (chain, "Shape", "shape", "x", "s");
  model_node (chain, "Gather", "gather", "s,one", "c0");
  for (guint i = 0; i < 100; i++)
    {
      g_autofree gchar *inputs = g_strdup_printf ("c%u,one", i);
      g_autofree gchar *output = g_strdup_printf ("c%u", i + 1);
      model_node (chain, "Add", output, inputs, output);
    }
  model_node (chain, "Slice", "slice", "x,one,c100,one", "z");
  model_output (chain, "z");
  g_autoptr (GError) chain_error = import_error (chain);
  tu_assert_error (chain_error, CNNFILT_ERROR_UNSUPPORTED, "(Add, opset 13)",
                   "too long an expression");
}
END_TEST

/* Slice before opset 10 takes attributes (axes negative, ends INT64_MAX
 * as exporters write "to the end"), not inputs; from 10 the reverse. */
START_TEST (test_slice_opsets)
{
  g_autoptr (Model) m = model_new (9);
  model_input (m, "x", DIMS (3, 4));
  Onnx__NodeProto *slice = model_node (m, "Slice", "slice", "x", "y");
  attr_ints (m, slice, "starts", DIMS (1));
  attr_ints (m, slice, "ends", DIMS (G_MAXINT64));
  attr_ints (m, slice, "axes", DIMS (-1));
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "slice", "axes", "1");
  assert_property (graph, "slice", "ends", "9223372036854775807");
  assert_property (graph, "slice", "rank", "2");
  gfloat xv[12];
  for (guint i = 0; i < 12; i++)
    xv[i] = i;
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 3, 4, 1, 1);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat want[] = { 1, 2, 3, 5, 6, 7, 9, 10, 11 };
  tu_assert_tensor (y, 3, 3, 1, 1, want, 0);

  g_autoptr (Model) inputs = model_new (9);
  model_input (inputs, "x", DIMS (3, 4));
  model_initializer (inputs, int64_tensor (inputs, "s", DIMS (1)));
  model_initializer (inputs, int64_tensor (inputs, "e", DIMS (3)));
  model_node (inputs, "Slice", "slice", "x,s,e", "y");
  model_output (inputs, "y");
  g_autoptr (GError) error = import_error (inputs);
  tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'slice' (Slice, opset 9)",
                   "input 1 ('s') is not supported");
}
END_TEST

/* LogSoftmax before opset 13 flattens the dims from axis on, as Softmax
 * did: taken where axis is the last dim only. InstanceNormalization takes
 * its scale and B as per-channel constants; opset 1's consumed_inputs is
 * refused. */
START_TEST (test_log_softmax_instance_norm_opsets)
{
  g_autoptr (Model) old = model_new (11);
  model_input (old, "x", DIMS (2, 3, 4));
  model_node (old, "LogSoftmax", "ls", "x", "y");
  model_output (old, "y");
  g_autoptr (GError) old_error = import_error (old);
  tu_assert_error (old_error, CNNFILT_ERROR_UNSUPPORTED, "node 'ls' (LogSoftmax, opset 11)",
                   "before opset 13, axis 1", "rank-3");
  g_autoptr (Model) last = model_new (11);
  model_input (last, "x", DIMS (2, 3, 4));
  attr_int (last, model_node (last, "LogSoftmax", "ls", "x", "y"), "axis", -1);
  model_output (last, "y");
  g_autoptr (CnnfiltGraph) last_graph = import_ok (last);
  assert_property (last_graph, "ls", "axis", "2");

  for (gint64 opset = 1; opset <= 6; opset += 5)
    {
      g_autoptr (Model) m = model_new (opset);
      model_input (m, "x", DIMS (1, 2, 1, 2));
      model_initializer (m, float_tensor (m, "s", DIMS (2), VALUES (2, 0.5f)));
      model_initializer (m, float_tensor (m, "b", DIMS (2), VALUES (1, -1)));
      Onnx__NodeProto *node = model_node (m, "InstanceNormalization", "in", "x,s,b", "y");
      attr_float (m, node, "epsilon", 0.25f);
      if (opset == 1)
        attr_ints (m, node, "consumed_inputs", DIMS (0, 0, 0));
      model_output (m, "y");
      if (opset == 1)
        {
          g_autoptr (GError) error = import_error (m);
          tu_assert_error (error, CNNFILT_ERROR_UNSUPPORTED, "node 'in' (InstanceNormalization, "
                           "opset 1)", "attribute 'consumed_inputs' is not supported");
          continue;
        }
      g_autoptr (CnnfiltGraph) graph = import_ok (m);
      assert_property (graph, "in", "scale", "<2x1x1x1 tensor>");
      assert_property (graph, "in", "epsilon", "0.25");
      /* planes (0 1) and (4 4): variances 0.25 and 0, so ∓1/√2 and 0 */
      const gfloat xv[] = { 0, 1, 4, 4 };
      g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 2, 1, 2);
      g_autoptr (CnnfiltTensor) y = run (graph, x);
      const gfloat expected[] = { 1 - 2 * 0.70710678f, 1 + 2 * 0.70710678f, -1, -1 };
      tu_assert_tensor (y, 1, 2, 1, 2, expected, 1e-6);
    }
}
END_TEST

static void
attr_floats (Model *m, Onnx__NodeProto *node, const gchar *name, gsize n, const gfloat *values)
{
  Onnx__AttributeProto *attr = attribute (m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  attr->n_floats = n;
  attr->floats = arena_alloc (m, n * sizeof (gfloat));
  memcpy (attr->floats, values, n * sizeof (gfloat));
}

/* Resize of 1×1×1×2 (1 2) to four columns, linear: opset 10 reads x / 2
 * (asymmetric); opset 11 with roi left out (an empty name) and
 * align_corners reads x / 3; opset 13 with an empty roi and scales and
 * the sizes reads half-pixel by default. */
START_TEST (test_resize_per_opset)
{
  const gfloat xv[] = { 1, 2 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 1, 1, 2);

  g_autoptr (Model) r10 = model_new (10);
  model_input (r10, "x", DIMS (1, 1, 1, 2));
  model_initializer (r10, float_tensor (r10, "scales", DIMS (4), VALUES (1, 1, 1, 2)));
  attr_string (r10, model_node (r10, "Resize", "resize", "x,scales", "y"), "mode", "linear");
  model_output (r10, "y");
  g_autoptr (CnnfiltGraph) g10 = import_ok (r10);
  assert_property (g10, "resize", "coordinate-transformation-mode", "asymmetric");
  assert_property (g10, "resize", "nearest-mode", "floor");
  g_autoptr (CnnfiltTensor) y10 = run (g10, x);
  const gfloat asymmetric[] = { 1, 1.5f, 2, 2 };
  tu_assert_tensor (y10, 1, 1, 1, 4, asymmetric, EXACT);

  g_autoptr (Model) r11 = model_new (11);
  model_input (r11, "x", DIMS (1, 1, 1, 2));
  model_initializer (r11, float_tensor (r11, "scales", DIMS (4), VALUES (1, 1, 1, 2)));
  Onnx__NodeProto *n11 = model_node (r11, "Resize", "resize", "x,,scales", "y");
  attr_string (r11, n11, "mode", "linear");
  attr_string (r11, n11, "coordinate_transformation_mode", "align_corners");
  model_output (r11, "y");
  g_autoptr (CnnfiltGraph) g11 = import_ok (r11);
  g_autoptr (CnnfiltTensor) y11 = run (g11, x);
  const gfloat corners[] = { 1, 4 / 3.0f, 5 / 3.0f, 2 };
  tu_assert_tensor (y11, 1, 1, 1, 4, corners, EXACT);

  g_autoptr (Model) r13 = model_new (13);
  model_input (r13, "x", DIMS (1, 1, 1, 2));
  model_initializer (r13, float_tensor (r13, "roi", DIMS (0), 0, NULL));
  model_initializer (r13, float_tensor (r13, "scales", DIMS (0), 0, NULL));
  model_initializer (r13, int64_tensor (r13, "sizes", 4, (gint64[]) { 1, 1, 1, 4 }));
  attr_string (r13, model_node (r13, "Resize", "resize", "x,roi,scales,sizes", "y"), "mode", "linear");
  model_output (r13, "y");
  g_autoptr (CnnfiltGraph) g13 = import_ok (r13);
  assert_property (g13, "resize", "width", "4");
  assert_property (g13, "resize", "scale-w", "0");
  g_autoptr (CnnfiltTensor) y13 = run (g13, x);
  const gfloat half_pixel[] = { 1, 1.25f, 1.75f, 2 };
  tu_assert_tensor (y13, 1, 1, 1, 4, half_pixel, EXACT);
}
END_TEST

/* What Resize refuses, by name: an attribute of a later opset, a scale on
 * the channels, sizes that change them, another rank. */
START_TEST (test_resize_refused)
{
  g_autoptr (Model) attr10 = model_new (10);
  model_input (attr10, "x", DIMS (1, 1, 2, 2));
  model_initializer (attr10, float_tensor (attr10, "scales", DIMS (4), VALUES (1, 1, 2, 2)));
  attr_string (attr10, model_node (attr10, "Resize", "resize", "x,scales", "y"),
               "coordinate_transformation_mode", "half_pixel");
  model_output (attr10, "y");
  g_autoptr (GError) e10 = import_error (attr10);
  tu_assert_error (e10, CNNFILT_ERROR_UNSUPPORTED, "node 'resize' (Resize, opset 10)",
                   "attribute 'coordinate_transformation_mode' is not supported");

  g_autoptr (Model) channel = model_new (13);
  model_input (channel, "x", DIMS (1, 1, 2, 2));
  model_initializer (channel, float_tensor (channel, "scales", DIMS (4), VALUES (1, 2, 2, 2)));
  model_node (channel, "Resize", "resize", "x,,scales", "y");
  model_output (channel, "y");
  g_autoptr (GError) ec = import_error (channel);
  tu_assert_error (ec, CNNFILT_ERROR_UNSUPPORTED, "node 'resize'", "value 1 is 2; only 1 is supported");

  g_autoptr (Model) sizes = model_new (13);
  model_input (sizes, "x", DIMS (1, 1, 2, 2));
  model_initializer (sizes, int64_tensor (sizes, "sizes", 4, (gint64[]) { 1, 3, 4, 4 }));
  model_node (sizes, "Resize", "resize", "x,,,sizes", "y");
  model_output (sizes, "y");
  /* the sizes are checked against the input when the graph meets it */
  g_autoptr (CnnfiltGraph) sizes_graph = import_ok (sizes);
  g_autoptr (CnnfiltTensor) x = cnnfilt_tensor_new (1, 1, 2, 2, NULL);
  g_autoptr (GError) es = NULL;
  g_autoptr (CnnfiltTensor) none = cnnfilt_graph_process (sizes_graph, x, &es);
  ck_assert_ptr_null (none);
  tu_assert_error (es, CNNFILT_ERROR_SHAPE, "resize", "3 channels", "only h and w are resized");

  g_autoptr (Model) crop = model_new (13);
  model_input (crop, "x", DIMS (1, 1, 2, 2));
  model_initializer (crop, float_tensor (crop, "roi", DIMS (8), VALUES (0, 0, 0, 0, 1, 1, 1, 1)));
  model_initializer (crop, float_tensor (crop, "scales", DIMS (4), VALUES (1, 1, 2, 2)));
  attr_string (crop, model_node (crop, "Resize", "resize", "x,roi,scales", "y"),
               "coordinate_transformation_mode", "tf_crop_and_resize");
  model_output (crop, "y");
  g_autoptr (GError) ecrop = import_error (crop);
  tu_assert_error (ecrop, CNNFILT_ERROR_INVALID_ARGUMENT, "attribute 'coordinate_transformation_mode'",
                   "invalid value 'tf-crop-and-resize'");

  g_autoptr (Model) rank3 = model_new (13);
  model_input (rank3, "x", DIMS (1, 1, 2));
  model_initializer (rank3, float_tensor (rank3, "scales", DIMS (3), VALUES (1, 1, 2)));
  model_node (rank3, "Resize", "resize", "x,,scales", "y");
  model_output (rank3, "y");
  g_autoptr (GError) e3 = import_error (rank3);
  tu_assert_error (e3, CNNFILT_ERROR_UNSUPPORTED, "node 'resize'", "the rank of its inputs (3)",
                   "only 4 is supported");
}
END_TEST

/* Upsample 7 takes its scales as an attribute, 9 as an input; both read
 * x / scale. The experimental Upsample 1 is refused. */
START_TEST (test_upsample_per_opset)
{
  const gfloat xv[] = { 1, 2 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 1, 1, 2);

  g_autoptr (Model) u7 = model_new (7);
  model_input (u7, "x", DIMS (1, 1, 1, 2));
  Onnx__NodeProto *n7 = model_node (u7, "Upsample", "up", "x", "y");
  attr_string (u7, n7, "mode", "linear");
  attr_floats (u7, n7, "scales", VALUES (1, 1, 1, 2));
  model_output (u7, "y");
  g_autoptr (CnnfiltGraph) g7 = import_ok (u7);
  g_autoptr (CnnfiltTensor) y7 = run (g7, x);
  const gfloat linear[] = { 1, 1.5f, 2, 2 };
  tu_assert_tensor (y7, 1, 1, 1, 4, linear, EXACT);

  g_autoptr (Model) u9 = model_new (9);
  model_input (u9, "x", DIMS (1, 1, 1, 2));
  model_initializer (u9, float_tensor (u9, "scales", DIMS (4), VALUES (1, 1, 1, 3)));
  model_node (u9, "Upsample", "up", "x,scales", "y");
  model_output (u9, "y");
  g_autoptr (CnnfiltGraph) g9 = import_ok (u9);
  g_autoptr (CnnfiltTensor) y9 = run (g9, x);
  const gfloat nearest[] = { 1, 1, 1, 2, 2, 2 };
  tu_assert_tensor (y9, 1, 1, 1, 6, nearest, EXACT);

  g_autoptr (Model) u1 = model_new (6);
  model_input (u1, "x", DIMS (1, 1, 1, 2));
  Onnx__NodeProto *n1 = model_node (u1, "Upsample", "up", "x", "y");
  attr_float (u1, n1, "height_scale", 1);
  attr_float (u1, n1, "width_scale", 2);
  model_output (u1, "y");
  g_autoptr (GError) e1 = import_error (u1);
  tu_assert_error (e1, CNNFILT_ERROR_UNSUPPORTED, "node 'up' (Upsample, opset 6)",
                   "attribute 'height_scale' is not supported");
}
END_TEST

/* ConvTranspose: output_shape sets the padding (here −2 rows, one above
 * and one below the 4×4 of stride 2, and −1 column at the end: bias only
 * there), kernel_shape must restate the weights', 1-D is refused. */
START_TEST (test_conv_transpose_mapping)
{
  g_autoptr (Model) m = model_new (11);
  model_input (m, "x", DIMS (1, 1, 2, 2));
  model_initializer (m, float_tensor (m, "W", DIMS (1, 1, 2, 2), VALUES (1, 0, 0, -1)));
  model_initializer (m, float_tensor (m, "B", DIMS (1), VALUES (0.5f)));
  Onnx__NodeProto *node = model_node (m, "ConvTranspose", "up", "x,W,B", "y");
  attr_ints (m, node, "strides", DIMS (2, 2));
  attr_ints (m, node, "output_shape", DIMS (6, 5));
  attr_ints (m, node, "kernel_shape", DIMS (2, 2));
  model_output (m, "y");
  g_autoptr (CnnfiltGraph) graph = import_ok (m);
  assert_property (graph, "up", "output-height", "6");
  const gfloat xv[] = { 1, 2, 3, 4 };
  g_autoptr (CnnfiltTensor) x = tu_tensor (xv, 1, 1, 2, 2);
  g_autoptr (CnnfiltTensor) y = run (graph, x);
  const gfloat want[] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 1.5f, 0.5f, 2.5f, 0.5f, 0.5f,
                          0.5f, -0.5f, 0.5f, -1.5f, 0.5f, 3.5f, 0.5f, 4.5f, 0.5f, 0.5f,
                          0.5f, -2.5f, 0.5f, -3.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
  tu_assert_tensor (y, 1, 1, 6, 5, want, EXACT);

  g_autoptr (Model) k = model_new (11);
  model_input (k, "x", DIMS (1, 1, 2, 2));
  model_initializer (k, float_tensor (k, "W", DIMS (1, 1, 2, 2), VALUES (1, 0, 0, -1)));
  attr_ints (k, model_node (k, "ConvTranspose", "up", "x,W", "y"), "kernel_shape", DIMS (3, 3));
  model_output (k, "y");
  g_autoptr (GError) ek = import_error (k);
  tu_assert_error (ek, CNNFILT_ERROR_INVALID_ARGUMENT, "node 'up' (ConvTranspose, opset 11)",
                   "attribute 'kernel_shape' value 0 is 3, but the weights say 2 (their dim 2)");

  g_autoptr (Model) one_d = model_new (11);
  model_input (one_d, "x", DIMS (1, 1, 3));
  model_initializer (one_d, float_tensor (one_d, "W", DIMS (1, 1, 2), VALUES (1, 1)));
  model_node (one_d, "ConvTranspose", "up", "x,W", "y");
  model_output (one_d, "y");
  g_autoptr (GError) e1 = import_error (one_d);
  tu_assert_error (e1, CNNFILT_ERROR_UNSUPPORTED, "the rank of its inputs (3)", "only 4 is supported");
}
END_TEST

static Suite *
onnx_import_suite (void)
{
  Suite *suite = suite_create ("onnx-import");
  TCase *mapping = tu_tcase ("mapping");
  tcase_add_test (mapping, test_conv_attributes);
  tcase_add_test (mapping, test_model_op);
  tcase_add_test (mapping, test_enum_attribute);
  tcase_add_test (mapping, test_attribute_default);
  tcase_add_test (mapping, test_negative_axis);
  tcase_add_test (mapping, test_broadcast_data_input);
  tcase_add_test (mapping, test_broadcast_constant);
  tcase_add_test (mapping, test_aligned_property);
  tcase_add_test (mapping, test_inputs_as_attributes);
  tcase_add_test (mapping, test_shape_chain_folded);
  tcase_add_test (mapping, test_shape_chain_inferred);
  tcase_add_test (mapping, test_shape_chain_refused);
  tcase_add_test (mapping, test_constant_fold);
  tcase_add_test (mapping, test_constant_fold_guard);
  tcase_add_test (mapping, test_declared_dim_guard);
  tcase_add_test (mapping, test_view_window_partition);
  tcase_add_test (mapping, test_view_gather_broadcast);
  tcase_add_test (mapping, test_optional_inputs);
  tcase_add_test (mapping, test_initializer_listed_as_input);
  tcase_add_test (mapping, test_node_names);
  tcase_add_test (mapping, test_constant_node_as_data);
  tcase_add_test (mapping, test_identity_of_constant);
  tcase_add_test (mapping, test_external_data);
  tcase_add_test (mapping, test_raw_data_in_place);
  tcase_add_test (mapping, test_import_memory);
  tcase_add_test (mapping, test_reduce_rank);
  tcase_add_test (mapping, test_layer_norm);
  tcase_add_test (mapping, test_rank_from_inputs);
  tcase_add_test (mapping, test_gather_index);
  tcase_add_test (mapping, test_squeeze_unsqueeze);
  tcase_add_test (mapping, test_expand_folded);
  tcase_add_test (mapping, test_split);
  tcase_add_test (mapping, test_split_equal);
  tcase_add_test (mapping, test_slice_chunk);
  tcase_add_test (mapping, test_slice_opsets);
  tcase_add_test (mapping, test_log_softmax_instance_norm_opsets);
  suite_add_tcase (suite, mapping);

  TCase *errors = tu_tcase ("errors");
  tcase_add_test (errors, test_truncated);
  tcase_add_test (errors, test_garbage);
  tcase_add_test (errors, test_deep_nesting);
  tcase_add_test (errors, test_unknown_op);
  tcase_add_test (errors, test_unsupported_attribute);
  tcase_add_test (errors, test_required_attribute_value);
  tcase_add_test (errors, test_opset_range);
  tcase_add_test (errors, test_rank_5);
  tcase_add_test (errors, test_raw_data_mismatch);
  tcase_add_test (errors, test_absurd_dims);
  tcase_add_test (errors, test_data_types);
  tcase_add_test (errors, test_computed_weights);
  tcase_add_test (errors, test_used_extra_output);
  tcase_add_test (errors, test_topological_order);
  tcase_add_test (errors, test_broadcast_unknown_dims);
  tcase_add_test (errors, test_legacy_softmax);
  tcase_add_test (errors, test_split_refused);
  tcase_add_test (errors, test_gather_squeeze_refused);
  suite_add_tcase (suite, errors);

  TCase *opsets = tu_tcase ("opsets");
  tcase_add_test (opsets, test_prelu_per_opset);
  tcase_add_test (opsets, test_legacy_training_mode);
  tcase_add_test (opsets, test_gemm_broadcast);
  tcase_add_test (opsets, test_conv_kernel_shape);
  tcase_add_test (opsets, test_strings_not_utf8);
  tcase_add_test (opsets, test_resize_per_opset);
  tcase_add_test (opsets, test_resize_refused);
  tcase_add_test (opsets, test_upsample_per_opset);
  tcase_add_test (opsets, test_conv_transpose_mapping);
  suite_add_tcase (suite, opsets);
  return suite;
}

int
main (void)
{
  return tu_run_suite (onnx_import_suite ());
}
