/* cnnfilt-onnx.c: graphs from ONNX models
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The model is decoded by protobuf-c with code generated at build time from
 * the system's onnx.proto (cnnfilt-onnx-decode.c). Each NodeProto becomes
 * one node whose op comes from the registry by ONNX op_type; how the node's
 * inputs and attributes map onto the op's properties is read from the op
 * class (cnnfilt-onnx-mapping.c), so the importer knows no op by name
 * outside the subgraphs it imports as one op (cnnfilt-onnx-patterns.c)
 * except Constant, whose value it keeps as a constant, Identity, which
 * passes a constant on, Split, which it writes as one slice per output
 * (import_split), Gather of one index, Squeeze and Unsqueeze of tensors,
 * which it writes as slices and reshapes (import_rank_change), Expand to a
 * shape known at import or computed from shapes (import_expand), the shape
 * computations it folds
 * (cnnfilt-onnx-shape.c), the rank rules of Flatten, Gemm, Reshape and
 * Reduce*, and two meanings that no attribute states: Softmax's before
 * opset 13 and BatchNormalization's training mode from opset 7 to 13.
 *
 * Tensors are 4-D with trailing 1s; ONNX values keep their rank here, so
 * that numpy broadcasting (which aligns trailing dimensions) can be
 * re-aligned to leading ones where ranks differ, and negative axes resolved.
 *
 * Everything read from the model is checked before use, and every failure
 * is a GError naming the node, its op_type and the opset.
 */
#include "cnnfilt-onnx-private.h"
#include "cnnfilt-registry.h"

#include <string.h>

/* Opsets 1 to 17. Where an op's meaning changed over the versions, the op
 * class maps each version's attributes and inputs (entries limited to
 * opsets, `@-6`: PRelu's per-channel slope, BatchNormalization's and
 * Dropout's is_test, Gemm's broadcast), and what it does not list, such as
 * Add's old broadcast or consumed_inputs, is refused as unsupported rather
 * than misread; the changes no attribute shows are checked below
 * (check_legacy_meaning). */
#define MIN_OPSET 1
#define MAX_OPSET 17

/* ONNX says that names, op types and string attributes are UTF-8, but a
 * file may hold any bytes there, and what leaves the importer must be
 * UTF-8: the graph's node names and the messages of errors (bindings
 * convert both, and fail on anything else). Returns @text with each byte
 * that is not part of valid UTF-8 written as \xNN, so that a message still
 * shows what the file holds. */
static gchar *
valid_utf8 (const gchar *text)
{
  const gchar *c = nonnull (text), *end = c + strlen (c), *valid;
  if (g_utf8_validate (c, end - c, &valid))
    return g_strdup (c);
  GString *out = g_string_sized_new (end - c + 8);
  while (c < end)
    {
      g_utf8_validate (c, end - c, &valid);
      g_string_append_len (out, c, valid - c);
      c = valid;
      if (c < end)
        g_string_append_printf (out, "\\x%02x", (guchar) *c++);
    }
  return g_string_free (out, FALSE);
}

static void
value_free (gpointer data)
{
  Value *value = data;
  g_free (value->node);
  if (value->folded)
    g_array_unref (value->folded);
  if (value->view)
    view_free (value->view);
  g_free (value);
}

static void
synthetic_free (gpointer data)
{
  Onnx__TensorProto *tensor = data;
  g_free (tensor->dims);
  g_free (tensor);
}

static void
importer_clear (Importer *imp)
{
  g_clear_object (&imp->graph);
  model_free (imp->model, &imp->allocator);
  g_clear_pointer (&imp->source, g_bytes_unref);
  g_free (imp->base_dir);
  g_clear_pointer (&imp->values, g_hash_table_unref);
  g_clear_pointer (&imp->owned, g_ptr_array_unref);
  g_clear_pointer (&imp->names, g_hash_table_unref);
  g_clear_pointer (&imp->aligned, g_hash_table_unref);
  g_clear_pointer (&imp->consumed, g_hash_table_unref);
  g_clear_pointer (&imp->node_names, g_hash_table_unref);
  g_clear_pointer (&imp->all_values, g_hash_table_unref);
  g_clear_pointer (&imp->declared, g_hash_table_unref);
  g_clear_pointer (&imp->external, g_hash_table_unref);
  g_clear_pointer (&imp->synthetic, g_ptr_array_unref);
  g_clear_pointer (&imp->matches, g_ptr_array_unref);
  g_clear_pointer (&imp->probes, g_array_unref);
  g_clear_pointer (&imp->match_of, g_free);
}

/* ---- Messages ----------------------------------------------------------- */

void
node_error (GError **error, const NodeCtx *ctx, gint code, const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, CNNFILT_ERROR, code, "node '%s' (%s, opset %" G_GINT64_FORMAT "): %s",
               ctx->label, nonnull (ctx->proto->op_type), ctx->imp->opset, message);
}

void
node_prefix_error (GError **error, const NodeCtx *ctx)
{
  g_prefix_error (error, "node '%s' (%s, opset %" G_GINT64_FORMAT "): ", ctx->label,
                  nonnull (ctx->proto->op_type), ctx->imp->opset);
}

/* ---- Values and names --------------------------------------------------- */

gint64
int_attribute (const Onnx__NodeProto *proto, const gchar *name, gint64 fallback, gboolean *given)
{
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, name) == 0 && proto->attribute[i]->has_i)
      {
        if (given)
          *given = TRUE;
        return proto->attribute[i]->i;
      }
  return fallback;
}

Value *
add_value (Importer *imp, const gchar *name)
{
  Value *value = g_new0 (Value, 1);
  value->rank = -1;
  for (guint i = 0; i < MAX_RANK; i++)
    value->dims[i] = -1;
  g_hash_table_replace (imp->values, g_strdup (name), value);
  return value;
}

static void
value_set_dims (Value *value, gint rank, const gint64 *dims)
{
  value->rank = rank;
  for (gint i = 0; i < MAX_RANK; i++)
    value->dims[i] = i < rank && dims ? dims[i] : -1;
}

/* The rank and dims a ValueInfoProto declares: FALSE when it declares no
 * shape; dims it leaves symbolic are -1. */
static gboolean
declared_shape (const Onnx__ValueInfoProto *info, gint *rank, gint64 *dims, gsize *declared_rank)
{
  const Onnx__TypeProto *type = info ? info->type : NULL;
  if (type == NULL || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      type->tensor_type == NULL || type->tensor_type->shape == NULL)
    return FALSE;
  const Onnx__TensorShapeProto *shape = type->tensor_type->shape;
  *declared_rank = shape->n_dim;
  *rank = MIN (shape->n_dim, (gsize) MAX_RANK + 1);
  for (gsize i = 0; i < MAX_RANK; i++)
    {
      dims[i] = -1;
      if (i < shape->n_dim && shape->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
          shape->dim[i]->dim_value > 0)
        dims[i] = shape->dim[i]->dim_value;
    }
  return TRUE;
}

gchar *
unique_name (Importer *imp, const gchar *name_in_file)
{
  g_autofree gchar *wanted = valid_utf8 (name_in_file);
  if (!g_hash_table_contains (imp->names, wanted))
    return g_steal_pointer (&wanted);
  for (guint i = 2;; i++)
    {
      gchar *name = g_strdup_printf ("%s#%u", wanted, i);
      if (!g_hash_table_contains (imp->names, name))
        return name;
      g_free (name);
    }
}

void
take_name (Importer *imp, const gchar *name)
{
  g_hash_table_add (imp->names, g_strdup (name));
}

CnnfiltOp *
reshape_op_new (const gint64 dims[MAX_RANK], GError **error)
{
  static const gchar *const properties[] = { "n", "c", "h", "w" };
  g_autoptr (CnnfiltOp) reshape = cnnfilt_op_new ("reshape", error);
  for (guint i = 0; reshape != NULL && i < MAX_RANK; i++)
    {
      g_autofree gchar *text = g_strdup_printf ("%" G_GINT64_FORMAT, dims[i]);
      if (!cnnfilt_op_set_property_from_string (reshape, properties[i], text, error))
        return NULL;
    }
  return g_steal_pointer (&reshape);
}

/* The graph node to read value @name from, aligned to @rank with leading 1s
 * when @rank is larger than the value's (numpy broadcasting): a constant
 * is added to the graph the first time it is read as data, reshaped
 * directly; other values go through a `reshape` node. Returns the node's
 * name, owned by the importer. */
static const gchar *
value_node (NodeCtx *ctx, const gchar *name, Value *value, gint rank, GError **error)
{
  Importer *imp = ctx->imp;
  g_return_val_if_fail (rank <= MAX_RANK, NULL); /* output ranks are checked */
  gboolean align = rank > value->rank && value->rank >= 0;
  if (value->view != NULL) /* read by a pattern's op */
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "input '%s' has %d dims; this op reads at most %d", name, value->rank, MAX_RANK);
      return NULL;
    }
  if (value->node == NULL && value->constant == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "input '%s' is a shape computed from sizes known only when the graph runs; "
                  "only Reshape's shape and Slice's bounds can take such a shape", name);
      return NULL;
    }
  if (!align && value->constant == NULL)
    return value->node;
  /* keyed by name and rank; a separator no exporter writes keeps "x" at
   * rank 3 apart from a value that happens to be called "x:rank3" */
  g_autofree gchar *key = g_strdup_printf ("%s\x1f%d", name, align ? rank : -1);
  const gchar *existing = g_hash_table_lookup (imp->aligned, key);
  if (existing != NULL)
    return existing;

  g_autofree gchar *wanted = align ? g_strdup_printf ("%s:rank%d", name, rank) : g_strdup (name);
  g_autofree gchar *node = unique_name (imp, wanted);
  if (value->constant != NULL)
    {
      g_autofree gchar *what = g_strdup_printf ("constant '%s'", name);
      g_autoptr (CnnfiltTensor) tensor = tensor_to_cnnfilt (imp, value->constant,
                                                            align ? rank : -1, what, error);
      if (tensor == NULL || !cnnfilt_graph_add_constant (imp->graph, node, tensor, error))
        {
          node_prefix_error (error, ctx);
          return NULL;
        }
    }
  else
    {
      /* x of rank r read at rank R: (d0..dr-1) becomes (1..1, d0..dr-1);
       * reshape needs the dims, of which one may be unknown (-1, inferred). */
      gint64 dims[MAX_RANK] = { 1, 1, 1, 1 };
      guint unknown = 0;
      for (gint i = 0; i < value->rank; i++)
        {
          dims[rank - value->rank + i] = value->dims[i];
          unknown += value->dims[i] < 0;
        }
      if (unknown > 1)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "input '%s' of rank %d broadcasts against rank %d, and its dims are "
                      "not known (declare them in value_info)", name, value->rank, rank);
          return NULL;
        }
      g_autoptr (CnnfiltOp) reshape = reshape_op_new (dims, error);
      const gchar *inputs[] = { value->node, NULL };
      if (reshape == NULL || !cnnfilt_graph_add_node (imp->graph, node, reshape, inputs, error))
        {
          g_prefix_error (error, "aligning '%s' to rank %d: ", name, rank);
          node_prefix_error (error, ctx);
          return NULL;
        }
    }
  take_name (imp, node);
  const gchar *result = node;
  g_hash_table_insert (imp->aligned, g_steal_pointer (&key), g_steal_pointer (&node));
  return result;
}

/* ---- Nodes -------------------------------------------------------------- */

/* A Constant node: its value becomes a constant value of the importer. */
static gboolean
import_constant (NodeCtx *ctx, GError **error)
{
  const Onnx__TensorProto *tensor = constant_tensor (ctx, error);
  if (tensor == NULL)
    return FALSE;
  Value *value = add_value (ctx->imp, ctx->proto->output[0]);
  value->constant = tensor;
  value_set_dims (value, tensor->n_dims, tensor->dims);
  return TRUE;
}

/* How many dims a Reduce* node takes away from its input's @rank: those of
 * its axes (an attribute, or input 1 from ReduceSum-13), unless keepdims;
 * no axes are all dims, or none with noop_with_empty_axes. */
static gint
reduced_rank (NodeCtx *ctx, gint rank)
{
  const Onnx__NodeProto *proto = ctx->proto;
  if (int_attribute (proto, "keepdims", 1, NULL) != 0 || rank < 0)
    return rank;
  gint64 n_axes = 0;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "axes") == 0)
      n_axes = proto->attribute[i]->n_ints;
  if (proto->n_input > 1 && *proto->input[1] != '\0')
    {
      Value *axes = g_hash_table_lookup (ctx->imp->values, proto->input[1]);
      if (axes != NULL && axes->constant != NULL)
        n_axes = tensor_n_elements (axes->constant);
    }
  if (n_axes == 0)
    return int_attribute (proto, "noop_with_empty_axes", 0, NULL) != 0 ? rank : 0;
  return MAX (rank - (gint) n_axes, 0);
}

/* Output ranks that are not the first input's (nor, for several data
 * inputs, the largest of theirs); -1 for those. */
static gint
output_rank_rule (NodeCtx *ctx, gint shape_length, gint data_rank)
{
  const gchar *op_type = nonnull (ctx->proto->op_type);
  if (g_str_equal (op_type, "Flatten") || g_str_equal (op_type, "Gemm"))
    return 2;
  if (g_str_equal (op_type, "Reshape"))
    return shape_length;
  if (g_str_has_prefix (op_type, "Reduce"))
    return reduced_rank (ctx, data_rank);
  return -1;
}

/* The node's outputs are new values, of which only the first is read
 * (except Split's, each a node of its own: import_split); its
 * inputs are values defined before it (topological order); no attribute
 * is given twice. */
static gboolean
check_node (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  if (proto->n_output == 0 || *proto->output[0] == '\0')
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT, "the node has no output");
      return FALSE;
    }
  for (gsize i = 0; i < proto->n_output; i++)
    if (*proto->output[i] != '\0' && g_hash_table_contains (imp->values, proto->output[i]))
      {
        node_error (error, ctx, CNNFILT_ERROR_FORMAT,
                    "output '%s' is already produced by an earlier node or input",
                    proto->output[i]);
        return FALSE;
      }
  for (gsize i = 1; i < proto->n_output && !g_str_equal (nonnull (proto->op_type), "Split"); i++)
    if (*proto->output[i] != '\0' && g_hash_table_contains (imp->consumed, proto->output[i]))
      {
        node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                    "output %" G_GSIZE_FORMAT " ('%s') is used, and only a node's first "
                    "output is supported", i, proto->output[i]);
        return FALSE;
      }
  for (gsize i = 0; i < proto->n_input; i++)
    if (*proto->input[i] != '\0' && !g_hash_table_contains (imp->values, proto->input[i]))
      {
        node_error (error, ctx, CNNFILT_ERROR_FORMAT,
                    "input '%s' is neither a graph input, an initializer nor the output of an "
                    "earlier node (nodes must be in topological order)", proto->input[i]);
        return FALSE;
      }
  g_autoptr (GHashTable) attribute_names = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (!g_hash_table_add (attribute_names, (gpointer) nonnull (proto->attribute[i]->name)))
      {
        node_error (error, ctx, CNNFILT_ERROR_FORMAT, "attribute '%s' is given twice",
                    nonnull (proto->attribute[i]->name));
        return FALSE;
      }
  return TRUE;
}

/* Identity of a constant is that constant: PyTorch writes equal
 * initializers once and renames the copies through Identity nodes. TRUE
 * when @proto is such an Identity, its output now the constant. */
static gboolean
alias_constant (Importer *imp, const Onnx__NodeProto *proto)
{
  if (!g_str_equal (nonnull (proto->op_type), "Identity") || proto->n_input != 1 ||
      proto->n_attribute != 0)
    return FALSE;
  Value *source = g_hash_table_lookup (imp->values, proto->input[0]);
  if (source == NULL || source->constant == NULL)
    return FALSE;
  Value *alias = add_value (imp, proto->output[0]);
  alias->constant = source->constant;
  value_set_dims (alias, source->rank, source->dims);
  return TRUE;
}

/* Meanings of old opsets that no attribute states, so that no mapping of
 * the op class can refuse them:
 * - from opset 7 to 13, BatchNormalization runs in training mode (it
 *   normalizes with the batch's own statistics) when the node names more
 *   than its first output; refused, it is not inference.
 * - before opset 13 Softmax, LogSoftmax and Hardmax flatten the dims from
 *   axis on (default 1) into one; that is a softmax along one dim only when
 *   axis is the last. Refused otherwise rather than computed differently. */
static gboolean
check_legacy_meaning (NodeCtx *ctx, GError **error)
{
  const Onnx__NodeProto *proto = ctx->proto;
  const gchar *op_type = nonnull (proto->op_type);
  gint64 opset = ctx->imp->opset;
  if (g_str_equal (op_type, "BatchNormalization") && opset >= 7 && opset < 14)
    {
      guint named = 0;
      for (gsize i = 0; i < proto->n_output; i++)
        named += *proto->output[i] != '\0';
      if (named > 1)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "with %u outputs it runs in training mode (normalizing with the batch's "
                      "statistics) at opsets 7 to 13; only inference, one output, is supported",
                      named);
          return FALSE;
        }
      return TRUE;
    }
  if (opset >= 13 || !(g_str_equal (op_type, "Softmax") || g_str_equal (op_type, "LogSoftmax") ||
                       g_str_equal (op_type, "Hardmax")))
    return TRUE;
  gint64 axis = int_attribute (proto, "axis", 1, NULL);
  if (ctx->first_rank < 0 || (axis < 0 ? axis + ctx->first_rank : axis) != ctx->first_rank - 1)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "before opset 13, axis %" G_GINT64_FORMAT " normalizes over all dims from "
                  "there on; only the last dim of the rank-%d input is supported", axis,
                  ctx->first_rank);
      return FALSE;
    }
  return TRUE;
}

/* The graph nodes the data inputs @data_names (ONNX names) are read from.
 * Several data inputs of different ranks broadcast numpy-style, aligned at
 * their last dims: the lower ranks are lifted with leading 1s to
 * *@max_rank, the largest (-1 when one is unknown). NULL with @error. */
static const gchar **
data_input_nodes (NodeCtx *ctx, GPtrArray *data_names, gint *max_rank, GError **error)
{
  Importer *imp = ctx->imp;
  gboolean ranks_known = TRUE;
  *max_rank = -1;
  for (guint i = 0; i < data_names->len; i++)
    {
      Value *value = g_hash_table_lookup (imp->values, data_names->pdata[i]);
      if (value->rank > MAX_RANK) /* a constant computed at import */
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "input '%s' has %d dims; the op "
                      "reads at most %d", (const gchar *) data_names->pdata[i], value->rank,
                      MAX_RANK);
          return NULL;
        }
      *max_rank = MAX (*max_rank, value->rank);
      ranks_known = ranks_known && value->rank >= 0;
    }
  g_autofree const gchar **inputs = g_new0 (const gchar *, data_names->len + 1);
  for (guint i = 0; i < data_names->len; i++)
    {
      Value *value = g_hash_table_lookup (imp->values, data_names->pdata[i]);
      gint rank = data_names->len > 1 && ranks_known ? *max_rank : -1;
      if ((inputs[i] = value_node (ctx, data_names->pdata[i], value, rank, error)) == NULL)
        return NULL;
    }
  return g_steal_pointer (&inputs);
}

/* Adds the node to the graph, named after the node when it has a unique
 * name that names no other value, else after its output. Returns the
 * name, or NULL with @error. */
static gchar *
add_graph_node (NodeCtx *ctx, const gchar **inputs, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const gchar *wanted = proto->output[0];
  if (proto->name && *proto->name &&
      GPOINTER_TO_UINT (g_hash_table_lookup (imp->node_names, proto->name)) == 1 &&
      (!g_hash_table_contains (imp->all_values, proto->name) ||
       g_str_equal (proto->name, proto->output[0])))
    wanted = proto->name;
  g_autofree gchar *node_name = unique_name (imp, wanted);
  if (!cnnfilt_graph_add_node (imp->graph, node_name, ctx->op, inputs, error))
    {
      node_prefix_error (error, ctx);
      return NULL;
    }
  take_name (imp, node_name);
  return g_steal_pointer (&node_name);
}

/* The node's output, read from graph node @node_name, with the rank and
 * dims declared for it, else its rank by rule: @shape_length for Reshape,
 * 2 for Flatten and Gemm, fewer for Reduce* without keepdims, otherwise
 * @data_rank, that of its data inputs. */
static gboolean
add_output_value (NodeCtx *ctx, const gchar *node_name, gint shape_length, gint data_rank,
                  GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  Value *output = add_value (imp, proto->output[0]);
  output->node = g_strdup (node_name);
  gint rank = -1;
  gint64 dims[MAX_RANK];
  gsize declared_rank = 0;
  if (declared_shape (g_hash_table_lookup (imp->declared, proto->output[0]), &rank, dims,
                      &declared_rank))
    {
      if (declared_rank > MAX_RANK)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "output '%s' has rank %" G_GSIZE_FORMAT "; at most %d dims are supported",
                      proto->output[0], declared_rank, MAX_RANK);
          return FALSE;
        }
      value_set_dims (output, rank, dims);
      return TRUE;
    }
  rank = output_rank_rule (ctx, shape_length, data_rank);
  if (rank < 0)
    rank = data_rank;
  if (rank > MAX_RANK)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "output '%s' has rank %d; at most %d dims are supported",
                  proto->output[0], rank, MAX_RANK);
      return FALSE;
    }
  value_set_dims (output, rank, NULL);
  return TRUE;
}

gboolean
add_fused_node (NodeCtx *ctx, const gchar *input, GError **error)
{
  Value *value = g_hash_table_lookup (ctx->imp->values, input);
  const gchar *inputs[] = { value_node (ctx, input, value, -1, error), NULL };
  if (inputs[0] == NULL)
    return FALSE;
  g_autofree gchar *node_name = add_graph_node (ctx, inputs, error);
  return node_name != NULL && add_output_value (ctx, node_name, -1, value->rank, error);
}

/* ---- Split -------------------------------------------------------------- */

gboolean
add_slice_node (NodeCtx *ctx, const gchar *name, const gchar *input, const gchar *starts,
                const gchar *ends, gint64 axis, gint rank, GError **error)
{
  g_autofree gchar *axes = g_strdup_printf ("%" G_GINT64_FORMAT, axis);
  g_autofree gchar *rank_text = g_strdup_printf ("%d", rank);
  const gchar *inputs[] = { input, NULL };
  g_autoptr (CnnfiltOp) slice = cnnfilt_op_new ("slice", error);
  if (slice == NULL || !cnnfilt_op_set_property_from_string (slice, "starts", starts, error) ||
      !cnnfilt_op_set_property_from_string (slice, "ends", ends, error) ||
      !cnnfilt_op_set_property_from_string (slice, "axes", axes, error) ||
      !cnnfilt_op_set_property_from_string (slice, "rank", rank_text, error) ||
      !cnnfilt_graph_add_node (ctx->imp->graph, name, slice, inputs, error))
    {
      node_prefix_error (error, ctx);
      return FALSE;
    }
  take_name (ctx->imp, name);
  return TRUE;
}

/* The graph's nodes have one output each, so Split becomes one `slice`
 * node per output, each reading the same input from the sum of the sizes
 * before it along axis. The sizes are the `split` attribute (opsets 1 to
 * 12) or constant input 1 (opset 1, and 13 on); without them the parts
 * are equal, bounded by multiples of the axis' size over their number,
 * which the slices evaluate (d1*2/3) where the size is not known here.
 * Outputs that nothing reads get no node. */
static gboolean
split_sizes (NodeCtx *ctx, gint64 *axis, GArray **sizes, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  for (gsize i = 0; i < proto->n_attribute; i++)
    {
      const Onnx__AttributeProto *a = proto->attribute[i];
      const gchar *name = nonnull (a->name);
      if (g_str_equal (name, "axis") && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
        *axis = a->i;
      else if (g_str_equal (name, "split") && imp->opset < 13 &&
               a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
        {
          *sizes = g_array_sized_new (FALSE, FALSE, sizeof (gint64), a->n_ints);
          g_array_append_vals (*sizes, a->ints, a->n_ints);
        }
      else
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "attribute '%s' is not supported%s",
                      name, g_str_equal (name, "split") ? " from opset 13 (input 1 is)" : "");
          return FALSE;
        }
    }
  if (proto->n_input > 2 || (proto->n_input == 2 && *proto->input[1] != '\0' &&
                             imp->opset >= 2 && imp->opset < 13))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "input %d is not supported at this opset (the 'split' attribute is)",
                  proto->n_input > 2 ? 2 : 1);
      return FALSE;
    }
  if (proto->n_input == 2 && *proto->input[1] != '\0')
    {
      const Value *given = g_hash_table_lookup (imp->values, proto->input[1]);
      if (*sizes != NULL || given->constant == NULL)
        {
          node_error (error, ctx, *sizes ? CNNFILT_ERROR_FORMAT : CNNFILT_ERROR_UNSUPPORTED,
                      "input 1 ('%s') %s", proto->input[1],
                      *sizes ? "and attribute 'split' both give the sizes"
                             : "must be a constant (an initializer or a Constant node), not computed");
          return FALSE;
        }
      g_autoptr (GArray) numbers = tensor_numbers (imp, given->constant);
      *sizes = g_array_sized_new (FALSE, FALSE, sizeof (gint64), numbers->len);
      for (guint k = 0; k < numbers->len; k++)
        {
          const Number *number = &g_array_index (numbers, Number, k);
          gint64 size = number->is_int ? number->i : -1;
          g_array_append_val (*sizes, size);
        }
    }
  return TRUE;
}

static gboolean
import_split (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  Value *input = proto->n_input > 0 && *proto->input[0] != '\0'
                 ? g_hash_table_lookup (imp->values, proto->input[0]) : NULL;
  gint64 axis = 0;
  g_autoptr (GArray) sizes = NULL;
  if (input == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT, "the node has no input");
      return FALSE;
    }
  if (!split_sizes (ctx, &axis, &sizes, error))
    return FALSE;
  const gint rank = input->rank;
  const guint n = proto->n_output;
  if (axis < 0 && rank < 0)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "attribute 'axis' is negative and the input's rank is unknown");
      return FALSE;
    }
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 0 || axis >= (rank >= 0 ? rank : MAX_RANK))
    {
      node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT,
                  "attribute 'axis' is out of range for the rank-%d input", rank);
      return FALSE;
    }
  const gint64 dim = rank >= 0 ? input->dims[axis] : -1; /* -1: known when the graph runs */
  gint64 total = 0;
  for (guint k = 0; sizes != NULL && k < sizes->len; k++)
    {
      gint64 size = g_array_index (sizes, gint64, k);
      if (size <= 0 || size > G_MAXINT32)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "split size %u is %" G_GINT64_FORMAT "; only sizes from 1 to 2^31 - 1 "
                      "are supported (tensors are never empty)", k, size);
          return FALSE;
        }
      total += size;
    }
  if (sizes != NULL ? sizes->len != n || (dim > 0 && total != dim) : dim > 0 && dim % n != 0)
    {
      node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT,
                  sizes ? "%u split sizes summing to %" G_GINT64_FORMAT " for %u outputs of a "
                          "dim of %" G_GINT64_FORMAT
                        : "%u outputs of a dim of %" G_GINT64_FORMAT ": not equal parts",
                  sizes ? sizes->len : n, sizes ? total : dim, n, dim);
      return FALSE;
    }

  const gchar *inputs[] = { value_node (ctx, proto->input[0], input, -1, error), NULL };
  if (inputs[0] == NULL)
    return FALSE;
  gint64 start = 0;
  for (guint k = 0; k < n; k++)
    {
      gint64 size = sizes ? g_array_index (sizes, gint64, k) : dim > 0 ? dim / n : -1;
      g_autofree gchar *starts = size > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, start)
                                          : g_strdup_printf ("d%" G_GINT64_FORMAT "*%u/%u", axis, k, n);
      g_autofree gchar *ends = size > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, start + size)
                                        : g_strdup_printf ("d%" G_GINT64_FORMAT "*%u/%u", axis, k + 1, n);
      start += size;
      if (*proto->output[k] == '\0' || !g_hash_table_contains (imp->consumed, proto->output[k]))
        continue; /* unnamed, or read by nothing */
      g_autofree gchar *name = unique_name (imp, proto->output[k]);
      if (!add_slice_node (ctx, name, inputs[0], starts, ends, axis, rank >= 0 ? rank : MAX_RANK,
                           error))
        return FALSE;
      Value *output = add_value (imp, proto->output[k]);
      output->node = g_steal_pointer (&name);
      value_set_dims (output, rank, input->dims);
      if (rank >= 0)
        output->dims[axis] = size;
    }
  return TRUE;
}

/* ---- Expand ------------------------------------------------------------- */

/* Adds @op_name with its `shape` set to @sizes (and its `rank` to
 * @rank_property where that is not 0), reading graph node @input and, where
 * @ref is not NULL, the tensor @sizes' expressions refer to; the node's
 * output has @out_rank dims. */
static gboolean
add_sized_node (NodeCtx *ctx, const gchar *op_name, const gchar *sizes, gint rank_property,
                gint out_rank, const gchar *input, const Value *ref, GError **error)
{
  if (ref != NULL && ref->node == NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "the target's sizes come from a value that is not a tensor of the graph");
      return FALSE;
    }
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new (op_name, error);
  g_autofree gchar *rank_text = g_strdup_printf ("%d", rank_property);
  if (op == NULL || !cnnfilt_op_set_property_from_string (op, "shape", sizes, error) ||
      (rank_property > 0 &&
       !cnnfilt_op_set_property_from_string (op, "rank", rank_text, error)))
    {
      node_prefix_error (error, ctx);
      return FALSE;
    }
  ctx->op = op;
  const gchar *inputs[] = { input, ref ? ref->node : NULL, NULL };
  g_autofree gchar *node_name = add_graph_node (ctx, inputs, error);
  return node_name != NULL && add_output_value (ctx, node_name, out_rank, out_rank, error);
}

/* Expand: an `expand` node, numpy broadcasting against the target shape.
 * The target is a constant or a shape folded here; its sizes known only
 * when the graph runs (x.expand(n, -1, -1) of a ViT's class token, n the
 * batch of the patches) are expressions of the dims of the one tensor
 * they come from, which the node takes as a second input. An input of
 * lower rank than the target is first reshaped to it, 1s in front, as
 * numpy aligns it. */
static gboolean
import_expand (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  Value *data = proto->n_input == 2 ? g_hash_table_lookup (imp->values, proto->input[0]) : NULL;
  Value *shape = proto->n_input == 2 ? g_hash_table_lookup (imp->values, proto->input[1]) : NULL;
  gint length = shape == NULL ? -1
              : shape->folded != NULL && shape->rank == 1 ? (gint) shape->folded->len
              : shape->constant != NULL && shape->constant->n_dims == 1 &&
                    (shape->constant->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
                     shape->constant->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
                  ? (gint) MIN (shape->constant->dims[0], MAX_RANK + 1)
                  : -1;
  if (length < 0 || length > MAX_RANK || proto->n_attribute > 0 || data == NULL ||
      data->rank < 0 || (data->node == NULL && data->constant == NULL))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "only an input of known rank expanded to a shape of at most %d sizes, "
                  "constant or computed from shapes, is supported", MAX_RANK);
      return FALSE;
    }
  /* the sizes as expand's shape: 1s (the input's own) in front up to the
   * input's rank, the target's numbers, and its run-time sizes in the dims
   * of their tensor */
  gint rank = MAX (data->rank, length);
  g_autoptr (GString) sizes = g_string_new (NULL);
  for (gint k = 0; k < rank - length; k++)
    g_string_append (sizes, "1,");
  const Value *ref = NULL;
  for (guint k = 0; shape->folded != NULL && k < shape->folded->len && ref == NULL; k++)
    ref = g_array_index (shape->folded, ShapeElem, k).of;
  g_autofree gchar *text = shape_text (ctx, shape, ref, "input 1", error);
  if (text == NULL)
    return FALSE;
  g_string_append (sizes, text);
  /* aligned to the target's rank, 1s in front */
  const gchar *input = value_node (ctx, proto->input[0], data, rank, error);
  return input != NULL && add_sized_node (ctx, "expand", sizes->str, rank, rank, input, ref, error);
}

/* A Reshape whose folded target holds sizes known only when the graph runs
 * that it can neither keep (0) nor infer (one -1): a ViT's attention
 * splits its heads with view(len, batch * heads, dim / heads), each read
 * from another tensor's shape. */
static gboolean
is_reshape_by_expressions (Importer *imp, const Onnx__NodeProto *proto)
{
  if (!g_str_equal (nonnull (proto->op_type), "Reshape") || proto->n_input != 2)
    return FALSE;
  const Value *data = g_hash_table_lookup (imp->values, proto->input[0]);
  const Value *shape = g_hash_table_lookup (imp->values, proto->input[1]);
  return data != NULL && shape != NULL && shape->folded != NULL && shape->constant == NULL &&
         shape->rank == 1 && shape->folded->len >= 1 && shape->folded->len <= MAX_RANK &&
         !reshape_target_fits (shape, data);
}

/* Such a Reshape as a `reshape` node with its target as expressions
 * (reshape_shape_text), reading the tensor they refer to as its second
 * input. */
static gboolean
import_reshape_by_expressions (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  Value *data = g_hash_table_lookup (imp->values, proto->input[0]);
  const Value *shape = g_hash_table_lookup (imp->values, proto->input[1]), *ref = NULL;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "allowzero") != 0 ||
        proto->attribute[i]->i != 0)
      {
        node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                    "attribute '%s' is not supported here (only allowzero=0)",
                    nonnull (proto->attribute[i]->name));
        return FALSE;
      }
  g_autofree gchar *text = reshape_shape_text (ctx, shape, data, &ref, error);
  if (text == NULL)
    return FALSE;
  const gchar *input = value_node (ctx, proto->input[0], data, -1, error);
  return input != NULL &&
         add_sized_node (ctx, "reshape", text, 0, shape->folded->len, input, ref, error);
}

/* ---- Squeeze, Unsqueeze and Gather of one index, on data ---------------- */

/* The axes of a Squeeze or Unsqueeze: attribute 'axes' before opset 13,
 * constant input 1 from then on; an empty array where none are given. */
static GArray *
squeeze_axes (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  GArray *axes = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (gsize i = 0; i < proto->n_attribute; i++)
    {
      const Onnx__AttributeProto *a = proto->attribute[i];
      if (g_strcmp0 (a->name, "axes") == 0 && imp->opset < 13 &&
          a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
        g_array_append_vals (axes, a->ints, a->n_ints);
      else
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "attribute '%s' is not supported%s", nonnull (a->name),
                      g_strcmp0 (a->name, "axes") == 0 ? " from opset 13 (input 1 is)" : "");
          g_array_unref (axes);
          return NULL;
        }
    }
  if (proto->n_input > 1 && *proto->input[1] != '\0')
    {
      const Value *given = g_hash_table_lookup (imp->values, proto->input[1]);
      g_autoptr (GArray) numbers = given->constant && imp->opset >= 13
                                   ? tensor_numbers (imp, given->constant) : NULL;
      for (guint k = 0; numbers != NULL && k < numbers->len; k++)
        if (!g_array_index (numbers, Number, k).is_int)
          g_clear_pointer (&numbers, g_array_unref);
      if (numbers == NULL || proto->n_input > 2)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "%s",
                      proto->n_input > 2 ? "it has more than two inputs"
                      : imp->opset < 13 ? "input 1 is not supported before opset 13 (the 'axes' "
                                          "attribute is)"
                                        : "input 1 (the axes) must be a constant of integers");
          g_array_unref (axes);
          return NULL;
        }
      for (guint k = 0; k < numbers->len; k++)
        g_array_append_val (axes, g_array_index (numbers, Number, k).i);
    }
  return axes;
}

/* Adds a `reshape` node @name reading @input that changes its rank to
 * @rank with @dims (-1 where unknown); @from[i] is the input dim that
 * output dim i is, -1 for a new dim. A dim not known here is written as 0
 * (keep the input's) where it stays in place, and at most one other as -1
 * (inferred from the count of values). */
static gboolean
add_rank_change (NodeCtx *ctx, const gchar *name, const gchar *input, gint rank,
                 const gint64 *dims, const gint *from, GError **error)
{
  gint64 target[MAX_RANK];
  guint inferred = 0;
  for (gint i = 0; i < MAX_RANK; i++)
    {
      target[i] = i >= rank ? 1 : dims[i] >= 0 ? dims[i] : from[i] == i ? 0 : -1;
      inferred += target[i] == -1;
    }
  if (inferred > 1)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%u dims that move are not known here (declare the input's shape in "
                  "value_info)", inferred);
      return FALSE;
    }
  g_autoptr (CnnfiltOp) reshape = reshape_op_new (target, error);
  const gchar *inputs[] = { input, NULL };
  if (reshape == NULL || !cnnfilt_graph_add_node (ctx->imp->graph, name, reshape, inputs, error))
    {
      node_prefix_error (error, ctx);
      return FALSE;
    }
  take_name (ctx->imp, name);
  return TRUE;
}

/* Squeeze and Unsqueeze of a tensor: a reshape that drops or adds dims of 1. */
static gboolean
import_squeeze (NodeCtx *ctx, Value *input, GError **error)
{
  const Onnx__NodeProto *proto = ctx->proto;
  const gboolean unsqueeze = g_str_equal (nonnull (proto->op_type), "Unsqueeze");
  g_autoptr (GArray) axes = squeeze_axes (ctx, error);
  if (axes == NULL)
    return FALSE;
  if (unsqueeze && axes->len == 0)
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT, "no axes are given");
      return FALSE;
    }
  /* Squeeze without axes drops every dim of 1 */
  const gboolean all_ones = !unsqueeze && axes->len == 0;
  for (gint i = 0; all_ones && i < input->rank; i++)
    {
      if (input->dims[i] < 0)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "without axes it drops the dims that are 1, and dim %d of the input is "
                      "not known here (give the axes)", i);
          return FALSE;
        }
      if (input->dims[i] == 1)
        g_array_append_val (axes, (gint64){ i });
    }
  const gint rank = unsqueeze ? input->rank + (gint) axes->len : input->rank - (gint) axes->len;
  if (rank > MAX_RANK)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "the output has rank %d; at most %d dims are supported", rank, MAX_RANK);
      return FALSE;
    }
  /* the axes count in the output's rank for Unsqueeze, the input's for Squeeze */
  const gint axes_rank = unsqueeze ? rank : input->rank;
  gboolean listed[MAX_RANK + 1] = { FALSE };
  for (guint k = 0; k < axes->len; k++)
    {
      gint64 axis = g_array_index (axes, gint64, k);
      axis = axis < 0 ? axis + axes_rank : axis;
      if (axis < 0 || axis >= axes_rank || listed[axis])
        {
          node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT,
                      "axis %" G_GINT64_FORMAT " is out of range for rank %d, or given twice",
                      g_array_index (axes, gint64, k), axes_rank);
          return FALSE;
        }
      if (!unsqueeze && input->dims[axis] > 1)
        {
          node_error (error, ctx, CNNFILT_ERROR_SHAPE,
                      "dim %" G_GINT64_FORMAT " of the input is %" G_GINT64_FORMAT
                      ", and only dims of 1 can be squeezed", axis, input->dims[axis]);
          return FALSE;
        }
      listed[axis] = TRUE;
    }
  gint64 dims[MAX_RANK];
  gint from[MAX_RANK];
  for (gint i = 0, j = 0; i < axes_rank; i++)
    {
      if (unsqueeze)
        {
          from[i] = listed[i] ? -1 : j++;
          dims[i] = listed[i] ? 1 : input->dims[from[i]];
        }
      else if (!listed[i])
        {
          from[j] = i;
          dims[j++] = input->dims[i];
        }
    }
  const gchar *source = value_node (ctx, proto->input[0], input, -1, error);
  g_autofree gchar *name = source ? unique_name (ctx->imp, proto->output[0]) : NULL;
  if (source == NULL || !add_rank_change (ctx, name, source, rank, dims, from, error))
    return FALSE;
  Value *output = add_value (ctx->imp, proto->output[0]);
  output->node = g_steal_pointer (&name);
  value_set_dims (output, rank, dims);
  return TRUE;
}

/* Gather of one constant index along an axis: a slice of one there, and for
 * a scalar index (x[:, k]) a reshape that drops that dim. Gathers of several
 * indices, or of computed ones, are refused. */
static gboolean
import_gather (NodeCtx *ctx, Value *input, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const Value *indices = proto->n_input == 2 ? g_hash_table_lookup (imp->values, proto->input[1])
                                             : NULL;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "axis") != 0)
      {
        node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "attribute '%s' is not supported",
                    nonnull (proto->attribute[i]->name));
        return FALSE;
      }
  g_autoptr (GArray) numbers = indices && indices->constant
                               ? tensor_numbers (imp, indices->constant) : NULL;
  if (numbers == NULL || numbers->len != 1 || indices->constant->n_dims > 1 ||
      !g_array_index (numbers, Number, 0).is_int)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "only one constant integer index is supported (x[:, k]); %s",
                  numbers == NULL ? "the indices are not a constant of integers"
                  : "these are several, or not integers");
      return FALSE;
    }
  const gint rank = input->rank;
  gint64 axis = int_attribute (proto, "axis", 0, NULL);
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 0 || axis >= rank)
    {
      node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT,
                  "attribute 'axis' is out of range for the rank-%d input", rank);
      return FALSE;
    }
  gint64 k = g_array_index (numbers, Number, 0).i, dim = input->dims[axis];
  if (dim > 0 && (k < -dim || k >= dim))
    {
      node_error (error, ctx, CNNFILT_ERROR_INVALID_ARGUMENT,
                  "index %" G_GINT64_FORMAT " is out of range for a dim of %" G_GINT64_FORMAT,
                  k, dim);
      return FALSE;
    }
  k = k < 0 && dim > 0 ? k + dim : k;
  /* a negative index of a dim known only at run time counts from its end */
  g_autofree gchar *starts = g_strdup_printf ("%" G_GINT64_FORMAT, k);
  g_autofree gchar *ends = g_strdup_printf ("%" G_GINT64_FORMAT, k == -1 ? G_MAXINT64 : k + 1);
  const gboolean scalar = indices->constant->n_dims == 0;
  const gchar *source = value_node (ctx, proto->input[0], input, -1, error);
  if (source == NULL)
    return FALSE;
  g_autofree gchar *wanted = scalar ? g_strdup_printf ("%s:take", proto->output[0])
                                    : g_strdup (proto->output[0]);
  g_autofree gchar *name = unique_name (imp, wanted);
  if (!add_slice_node (ctx, name, source, starts, ends, axis, rank, error))
    return FALSE;
  gint64 dims[MAX_RANK];
  gint from[MAX_RANK];
  for (gint i = 0, j = 0; i < rank; i++)
    if (!scalar || i != axis)
      {
        from[j] = i;
        dims[j++] = i == axis ? 1 : input->dims[i];
      }
  g_autofree gchar *out_name = scalar ? unique_name (imp, proto->output[0]) : NULL;
  if (scalar && !add_rank_change (ctx, out_name, name, rank - 1, dims, from, error))
    return FALSE;
  Value *output = add_value (imp, proto->output[0]);
  output->node = scalar ? g_steal_pointer (&out_name) : g_steal_pointer (&name);
  value_set_dims (output, scalar ? rank - 1 : rank, dims);
  return TRUE;
}

/* Gather, Squeeze and Unsqueeze of a tensor rather than of a shape (those
 * fold at import: cnnfilt-onnx-shape.c). */
static gboolean
import_rank_change (NodeCtx *ctx, GError **error)
{
  const Onnx__NodeProto *proto = ctx->proto;
  Value *input = g_hash_table_lookup (ctx->imp->values, proto->input[0]);
  if (input->rank < 0)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "the rank of input '%s' is not known here (declare it in value_info)",
                  proto->input[0]);
      return FALSE;
    }
  if (g_str_equal (nonnull (proto->op_type), "Gather"))
    return import_gather (ctx, input, error);
  return import_squeeze (ctx, input, error);
}

/* Whether @proto is a Gather, Squeeze or Unsqueeze of a tensor: its input
 * a graph node's output or a float constant. */
static gboolean
is_rank_change (Importer *imp, const Onnx__NodeProto *proto)
{
  static const gchar *const ops[] = { "Gather", "Squeeze", "Unsqueeze", NULL };
  if (!g_strv_contains (ops, nonnull (proto->op_type)) || proto->n_input == 0)
    return FALSE;
  const Value *input = g_hash_table_lookup (imp->values, proto->input[0]);
  return input != NULL && input->folded == NULL &&
         (input->node != NULL ||
          (input->constant != NULL &&
           input->constant->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT));
}

gboolean
import_node (Importer *imp, const Onnx__NodeProto *proto, guint index, GError **error)
{
  const gchar *op_type = nonnull (proto->op_type);
  g_autofree gchar *fallback_label = g_strdup_printf ("#%u", index);
  NodeCtx ctx = { imp, proto, NULL, NULL, -1 };
  ctx.label = proto->name && *proto->name ? proto->name
              : proto->n_output > 0 && *proto->output[0] ? proto->output[0] : fallback_label;
  if (!check_node (&ctx, error))
    return FALSE;
  if (reads_view (imp, proto))
    return import_on_view (&ctx, error);
  if (is_view_reshape (imp, proto))
    return import_view_reshape_node (&ctx, error);

  /* Nodes that become values of the importer, not graph nodes. */
  if (g_str_equal (op_type, "Constant"))
    return import_constant (&ctx, error);
  if (is_constant_fold (imp, proto, FALSE))
    return fold_constant_node (&ctx, error);
  if (is_rank_change (imp, proto))
    return import_rank_change (&ctx, error);
  if (is_shape_op (op_type) || is_shape_concat (imp, proto) || is_shape_div (imp, proto) ||
      is_shape_arith (imp, proto) || is_shape_reshape (imp, proto))
    return fold_shape_node (&ctx, error);
  if (is_constant_fold (imp, proto, TRUE))
    return fold_constant_node (&ctx, error);
  if (is_fold_only_op (op_type))
    {
      node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%s is supported only on constants, computed at import, and an input "
                  "here is not", op_type);
      return FALSE;
    }
  if (alias_constant (imp, proto))
    return TRUE;
  if (g_str_equal (op_type, "Split"))
    return import_split (&ctx, error);
  if (g_str_equal (op_type, "Expand"))
    return import_expand (&ctx, error);
  if (is_reshape_by_expressions (imp, proto))
    return import_reshape_by_expressions (&ctx, error);

  GType type = cnnfilt_registry_lookup_onnx (op_type);
  g_return_val_if_fail (type != G_TYPE_INVALID, FALSE); /* checked by the caller */
  g_autoptr (CnnfiltOp) op = g_object_new (type, NULL);
  ctx.op = op;
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  if (proto->n_input > 0 && *proto->input[0] != '\0')
    ctx.first_rank = ((Value *) g_hash_table_lookup (imp->values, proto->input[0]))->rank;

  g_autoptr (GPtrArray) data_names = g_ptr_array_new (); /* ONNX names */
  gint shape_length = -1;
  if (!map_node_to_op (&ctx, data_names, &shape_length, error) ||
      !check_legacy_meaning (&ctx, error))
    return FALSE;
  if (data_names->len == 0 || (klass->n_inputs != 0 && data_names->len != klass->n_inputs))
    {
      node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%u data input%s given; op %s takes %s%u", data_names->len,
                  data_names->len == 1 ? "" : "s", klass->name,
                  klass->n_inputs == 0 ? "at least " : "", MAX (klass->n_inputs, 1));
      return FALSE;
    }
  if (!cnnfilt_op_validate (op, error))
    {
      node_prefix_error (error, &ctx);
      return FALSE;
    }

  gint max_rank;
  g_autofree const gchar **inputs = data_input_nodes (&ctx, data_names, &max_rank, error);
  if (inputs == NULL)
    return FALSE;
  g_autofree gchar *node_name = add_graph_node (&ctx, inputs, error);
  return node_name != NULL &&
         add_output_value (&ctx, node_name, shape_length,
                           data_names->len > 1 ? max_rank : ctx.first_rank, error);
}

/* ---- The model ---------------------------------------------------------- */

static gboolean
read_opset (Importer *imp, GError **error)
{
  imp->opset = -1;
  for (gsize i = 0; i < imp->model->n_opset_import; i++)
    {
      const Onnx__OperatorSetIdProto *entry = imp->model->opset_import[i];
      const gchar *domain = nonnull (entry->domain);
      if (*domain == '\0' || g_str_equal (domain, "ai.onnx"))
        imp->opset = entry->version;
    }
  if (imp->opset < 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                   "the model imports no opset of the default ONNX domain");
      return FALSE;
    }
  if (imp->opset < MIN_OPSET || imp->opset > MAX_OPSET)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "opset %" G_GINT64_FORMAT " is not supported (opsets %d to %d are)",
                   imp->opset, MIN_OPSET, MAX_OPSET);
      return FALSE;
    }
  return TRUE;
}

/* Every op the model needs, checked before any is imported, so that one
 * error lists all that are missing. */
static gboolean
check_ops (Importer *imp, GError **error)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  g_autoptr (GString) missing = g_string_new (NULL);
  const Onnx__NodeProto *first = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < graph->n_node; i++)
    {
      const Onnx__NodeProto *node = graph->node[i];
      const gchar *domain = nonnull (node->domain);
      NodeCtx ctx = { imp, node, NULL, NULL, -1 };
      ctx.label = node->name && *node->name ? node->name
                  : node->n_output > 0 ? node->output[0] : "";
      if (*domain != '\0' && !g_str_equal (domain, "ai.onnx"))
        {
          node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "domain '%s' is not supported (only the default ONNX domain is)", domain);
          return FALSE;
        }
      const gchar *op_type = nonnull (node->op_type);
      if (g_str_equal (op_type, "Constant") || g_str_equal (op_type, "Split") ||
          g_str_equal (op_type, "Expand") || is_fold_only_op (op_type) ||
          is_shape_op (op_type) || cnnfilt_registry_lookup_onnx (op_type) != G_TYPE_INVALID)
        continue;
      if (first == NULL)
        first = node;
      else if (!g_hash_table_contains (seen, op_type))
        g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", op_type);
      g_hash_table_add (seen, (gpointer) op_type);
    }
  if (first != NULL)
    {
      NodeCtx ctx = { imp, first, NULL, NULL, -1 };
      ctx.label = first->name && *first->name ? first->name
                  : first->n_output > 0 ? first->output[0] : "";
      node_error (error, &ctx, CNNFILT_ERROR_UNSUPPORTED, "no op implements %s%s%s",
                  nonnull (first->op_type), missing->len ? "; the model also uses " : "",
                  missing->str);
      return FALSE;
    }
  return TRUE;
}

static gboolean
import_inputs (Importer *imp, GError **error)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  for (gsize i = 0; i < graph->n_initializer; i++)
    {
      const Onnx__TensorProto *tensor = graph->initializer[i];
      const gchar *name = nonnull (tensor->name);
      g_autofree gchar *what = g_strdup_printf ("initializer '%s'", name);
      if (*name == '\0' || g_hash_table_contains (imp->values, name))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                       "%s: %s", what, *name ? "the name is used twice" : "it has no name");
          return FALSE;
        }
      if (!check_tensor (imp, tensor, what, error))
        return FALSE;
      Value *value = add_value (imp, name);
      value->constant = tensor;
      value_set_dims (value, tensor->n_dims, tensor->dims);
    }
  if (graph->n_sparse_initializer > 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "sparse initializers are not supported");
      return FALSE;
    }

  for (gsize i = 0; i < graph->n_input; i++)
    {
      const Onnx__ValueInfoProto *info = graph->input[i];
      const gchar *name = nonnull (info->name);
      Value *value = g_hash_table_lookup (imp->values, name);
      if (value != NULL && value->constant != NULL)
        continue; /* an initializer listed as an input (IR < 4): a constant */
      if (*name == '\0' || value != NULL)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT, "graph input '%s': %s", name,
                       *name ? "the name is used twice" : "it has no name");
          return FALSE;
        }
      const Onnx__TypeProto *type = info->type;
      if (type == NULL || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
          type->tensor_type == NULL ||
          type->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                       "graph input '%s' is %s%s; only float32 tensors are supported", name,
                       type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                       type->tensor_type ? "a tensor of " : "not a tensor",
                       type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                       type->tensor_type ? data_type_name (type->tensor_type->elem_type) : "");
          return FALSE;
        }
      value = add_value (imp, name);
      gint rank = -1;
      gint64 dims[MAX_RANK];
      gsize declared_rank = 0;
      if (declared_shape (info, &rank, dims, &declared_rank))
        {
          if (declared_rank > MAX_RANK)
            {
              g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                           "graph input '%s' has rank %" G_GSIZE_FORMAT "; at most %d dims are "
                           "supported", name, declared_rank, MAX_RANK);
              return FALSE;
            }
          value_set_dims (value, rank, dims);
        }
      g_autofree gchar *node = unique_name (imp, name);
      if (!cnnfilt_graph_add_input (imp->graph, node, error))
        return FALSE;
      if (rank >= 1)
        {
          /* 4-D or fewer, padded with trailing 1s as tensors are; free dims 0 */
          guint d[4] = { 1, 1, 1, 1 };
          for (gint k = 0; k < rank && k < 4; k++)
            d[k] = dims[k] > 0 && dims[k] <= G_MAXUINT ? (guint) dims[k] : 0;
          CnnfiltShape expected = { d[0], d[1], d[2], d[3] };
          cnnfilt_graph_set_input_shape (imp->graph, cnnfilt_graph_get_n_inputs (imp->graph) - 1,
                                         &expected);
        }
      take_name (imp, node);
      value->node = g_steal_pointer (&node);
    }
  return TRUE;
}

static gboolean
import_outputs (Importer *imp, GError **error)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  if (graph->n_output == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT, "the graph has no outputs");
      return FALSE;
    }
  for (gsize i = 0; i < graph->n_output; i++)
    {
      const gchar *name = nonnull (graph->output[i]->name);
      Value *value = g_hash_table_lookup (imp->values, name);
      if (value == NULL)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FORMAT,
                       "graph output '%s' is produced by no node", name);
          return FALSE;
        }
      Onnx__NodeProto none = ONNX__NODE_PROTO__INIT;
      none.op_type = (gchar *) "output";
      NodeCtx ctx = { imp, &none, name, NULL, -1 };
      const gchar *node = value->view ? view_output_node (&ctx, value, error)
                                      : value_node (&ctx, name, value, -1, error);
      if (node == NULL || !cnnfilt_graph_add_output (imp->graph, node, error))
        return FALSE;
    }
  return TRUE;
}

static void
count_names (Importer *imp)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  for (gsize i = 0; i < graph->n_node; i++)
    {
      const Onnx__NodeProto *node = graph->node[i];
      if (node->name && *node->name)
        g_hash_table_insert (imp->node_names, node->name,
                             GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (imp->node_names, node->name)) + 1));
      for (gsize j = 0; j < node->n_input; j++)
        g_hash_table_add (imp->consumed, node->input[j]);
      for (gsize j = 0; j < node->n_output; j++)
        g_hash_table_add (imp->all_values, node->output[j]);
    }
  for (gsize i = 0; i < graph->n_output; i++)
    if (graph->output[i]->name)
      {
        g_hash_table_add (imp->consumed, graph->output[i]->name);
        g_hash_table_insert (imp->declared, graph->output[i]->name, graph->output[i]);
      }
  for (gsize i = 0; i < graph->n_value_info; i++)
    if (graph->value_info[i]->name)
      g_hash_table_insert (imp->declared, graph->value_info[i]->name, graph->value_info[i]);
  for (gsize i = 0; i < graph->n_input; i++)
    if (graph->input[i]->name)
      g_hash_table_add (imp->all_values, graph->input[i]->name);
  for (gsize i = 0; i < graph->n_initializer; i++)
    if (graph->initializer[i]->name)
      g_hash_table_add (imp->all_values, graph->initializer[i]->name);
}

static CnnfiltGraph *
import_model (GBytes *source, gboolean mapped, const gchar *base_dir, GError **error)
{
  cnnfilt_init (NULL);
  Importer imp = { 0 };
  imp.base_dir = g_strdup (base_dir);
  imp.source = g_bytes_ref (source);
  imp.source_mapped = mapped;
  if ((imp.model = decode_model (source, &imp.allocator, error)) == NULL)
    {
      importer_clear (&imp);
      return NULL;
    }
  imp.graph = cnnfilt_graph_new ();
  imp.values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_free);
  imp.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  imp.aligned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  imp.consumed = g_hash_table_new (g_str_hash, g_str_equal);
  imp.node_names = g_hash_table_new (g_str_hash, g_str_equal);
  imp.all_values = g_hash_table_new (g_str_hash, g_str_equal);
  imp.declared = g_hash_table_new (g_str_hash, g_str_equal);
  imp.external = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                        (GDestroyNotify) g_bytes_unref);
  imp.synthetic = g_ptr_array_new_with_free_func (synthetic_free);
  imp.owned = g_ptr_array_new_with_free_func (g_free);
  count_names (&imp);

  gboolean ok = read_opset (&imp, error) && check_ops (&imp, error) && import_inputs (&imp, error);
  if (ok)
    find_patterns (&imp);
  for (gsize i = 0; ok && i < imp.model->graph->n_node; i++)
    {
      gboolean in_match = FALSE;
      ok = import_match (&imp, i, &in_match, error) &&
           (in_match || import_node (&imp, imp.model->graph->node[i], i, error));
    }
  ok = ok && import_outputs (&imp, error);

  CnnfiltGraph *graph = ok ? g_steal_pointer (&imp.graph) : NULL;
  importer_clear (&imp);
  if (error != NULL && *error != NULL)
    {
      /* Messages quote the file's names and strings, in many places. */
      gchar *message = valid_utf8 ((*error)->message);
      g_free ((*error)->message);
      (*error)->message = message;
    }
  return graph;
}

/**
 * cnnfilt_graph_new_from_onnx_bytes:
 * @bytes: a serialized ONNX ModelProto
 * @error: return location for a #GError
 *
 * Builds a graph from an ONNX model: one node per ONNX node, named after
 * the node (or its output where the node has no unique name), except the
 * subgraphs that exporters write for one function (SiLU, GELU, HardSwish
 * and LayerNorm decomposed, ShuffleNet's channel shuffle), each one node
 * named after its last; the graph's
 * inputs are the model's inputs that are not initializers, in order, and
 * its outputs the model's outputs. Ops come from the plugins by ONNX
 * op_type. Tensors are float32 of rank at most 4, stored with trailing 1s.
 * Opsets 1 to 17 of the default domain are read. A model that uses an op,
 * attribute or value this library does not support, or that is truncated
 * or malformed, gives an error naming the node, its op_type and the opset.
 * Names and strings of the file that are not UTF-8, as ONNX requires them
 * to be, appear in node names and error messages with each invalid byte
 * written as `\xNN`. Tensors kept in external files cannot be read from
 * bytes: use cnnfilt_graph_new_from_onnx_file().
 *
 * Returns: (transfer full): a new graph, or %NULL on error
 */
CnnfiltGraph *
cnnfilt_graph_new_from_onnx_bytes (GBytes *bytes, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return import_model (bytes, FALSE, NULL, error);
}

/**
 * cnnfilt_graph_new_from_onnx_file:
 * @path: (type filename): an ONNX model file
 * @error: return location for a #GError
 *
 * Builds a graph from an ONNX model file, as
 * cnnfilt_graph_new_from_onnx_bytes() does; tensors kept in external data
 * files are read from files relative to the model's folder.
 *
 * Returns: (transfer full): a new graph, or %NULL on error
 */
CnnfiltGraph *
cnnfilt_graph_new_from_onnx_file (const gchar *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s", local->message);
      return NULL;
    }
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autoptr (GBytes) bytes = g_mapped_file_get_bytes (file);
  CnnfiltGraph *graph = import_model (bytes, TRUE, dir, error);
  if (graph == NULL)
    {
      g_autofree gchar *shown = g_filename_display_name (path);
      g_prefix_error (error, "%s: ", shown);
    }
  return graph;
}
