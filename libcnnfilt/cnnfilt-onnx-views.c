/* cnnfilt-onnx-views.c: values of five to eight dims, held in four
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Graph values have at most four dims. Exporters reshape to more for a
 * moment: Swin's window partition is x.view(B, H/7, 7, W/7, 7, C)
 * permuted (0, 1, 3, 2, 4, 5) and reshaped to (B·nW, 49, C); its q/k/v
 * split is a reshape to (B·nW, 49, 3, heads, d) permuted (2, 0, 3, 1, 4),
 * of which Gather takes q, k and v; its attention mask is added at rank 5
 * to a view of the scores.
 *
 * Such a value is a view: the graph node that holds its values in
 * row-major order, the dims of that order (any rank up to 8) and a
 * permutation not yet applied. Reshaping a node to more dims is free (the
 * order of the values does not change), and so is a Transpose (it only
 * composes the permutation). What reads a view makes the permutation
 * real, with the dims that stay neighbours merged, as a reshape and a
 * transpose of at most four dims; a Gather of one index on a view slices
 * the dim out first; a broadcasting op with a constant merges the dims
 * that the constant treats alike. Whatever needs more than four dims
 * after merging is refused, naming the node.
 */
#include "cnnfilt-onnx-private.h"

#include <string.h>

/* The dims of a view's node order; the permutation is applied on top. */
struct _View {
  gchar *node;
  gint rank;
  gint64 dims[MAX_VIEW_RANK]; /* -1: the one size known only at run time */
  gint perm[MAX_VIEW_RANK];   /* logical dim i is node-order dim perm[i] */
  gint node_rank;             /* of the node */
};

void
view_free (View *view)
{
  g_free (view->node);
  g_free (view);
}

static gboolean
perm_is_identity (const View *v)
{
  for (gint i = 0; i < v->rank; i++)
    if (v->perm[i] != i)
      return FALSE;
  return TRUE;
}

/* A new node @op reading @input, named after the node being imported with
 * @suffix; its name, owned by the importer; NULL with @error. */
static const gchar *
add_helper_node (NodeCtx *ctx, const gchar *suffix, CnnfiltOp *op, const gchar *input,
                 GError **error)
{
  Importer *imp = ctx->imp;
  /* the node imported, or for a graph output, the output */
  const gchar *base = ctx->proto->n_output > 0 ? ctx->proto->output[0] : ctx->label;
  g_autofree gchar *wanted = g_strconcat (base, suffix, NULL);
  gchar *name = unique_name (imp, wanted);
  g_ptr_array_add (imp->owned, name);
  const gchar *inputs[] = { input, NULL };
  if (op == NULL || !cnnfilt_graph_add_node (imp->graph, name, op, inputs, error))
    {
      node_prefix_error (error, ctx);
      return NULL;
    }
  take_name (imp, name);
  return name;
}

/* A `reshape` of @input to @dims (at most four; -1 for the one size known
 * only at run time). */
static const gchar *
add_reshape (NodeCtx *ctx, const gchar *suffix, const gchar *input, gint rank,
             const gint64 *dims, GError **error)
{
  gint64 target[MAX_RANK] = { 1, 1, 1, 1 };
  memcpy (target, dims, rank * sizeof (gint64));
  g_autoptr (CnnfiltOp) op = reshape_op_new (target, error);
  return op ? add_helper_node (ctx, suffix, op, input, error) : NULL;
}

/* Groups of neighbouring dims: @n of them, dims [start[g], start[g+1]). */
typedef struct {
  gint n;
  gint start[MAX_VIEW_RANK + 1];
} Groups;

/* The product of the dims of each group, -1 for the one with the size
 * known only at run time. */
static void
group_sizes (const View *v, const Groups *g, gint64 *sizes)
{
  for (gint k = 0; k < g->n; k++)
    {
      sizes[k] = 1;
      for (gint d = g->start[k]; d < g->start[k + 1]; d++)
        sizes[k] = v->dims[d] < 0 || sizes[k] < 0 ? -1 : sizes[k] * v->dims[d];
    }
}

/* Makes the permutation of @v real: node-order dims that the permutation
 * keeps neighbours merge, and the groups are reshaped and transposed in at
 * most four dims. */
static gboolean
view_apply_perm (NodeCtx *ctx, View *v, GError **error)
{
  if (perm_is_identity (v))
    return TRUE;
  /* groups in node order: a dim starts one unless it follows, in the
   * permutation, the dim before it in node order */
  gboolean starts[MAX_VIEW_RANK] = { TRUE };
  for (gint d = 1; d < v->rank; d++)
    starts[d] = TRUE;
  for (gint i = 1; i < v->rank; i++)
    if (v->perm[i] == v->perm[i - 1] + 1)
      starts[v->perm[i]] = FALSE;
  Groups g = { 0, { 0 } };
  gint group_of[MAX_VIEW_RANK];
  for (gint d = 0; d < v->rank; d++)
    {
      if (starts[d])
        g.start[g.n++] = d;
      group_of[d] = g.n - 1;
    }
  g.start[g.n] = v->rank;
  if (g.n > MAX_RANK)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "it reads a value of %d dims permuted in %d groups of neighbouring dims; "
                  "at most %d are supported", v->rank, g.n, MAX_RANK);
      return FALSE;
    }
  gint64 sizes[MAX_VIEW_RANK];
  group_sizes (v, &g, sizes);
  g_autoptr (GString) perm = g_string_new (NULL);
  for (gint i = 0; i < v->rank; i++)
    if (i == 0 || v->perm[i] != v->perm[i - 1] + 1)
      g_string_append_printf (perm, "%s%d", perm->len ? "," : "", group_of[v->perm[i]]);
  g_autofree gchar *rank = g_strdup_printf ("%d", g.n);
  const gchar *grouped = add_reshape (ctx, "#grouped", v->node, g.n, sizes, error);
  g_autoptr (CnnfiltOp) transpose = cnnfilt_op_new ("transpose", error);
  if (grouped == NULL || transpose == NULL ||
      !cnnfilt_op_set_property_from_string (transpose, "perm", perm->str, error) ||
      !cnnfilt_op_set_property_from_string (transpose, "rank", rank, error))
    return FALSE;
  const gchar *node = add_helper_node (ctx, "#permuted", transpose, grouped, error);
  if (node == NULL)
    return FALSE;
  gint64 dims[MAX_VIEW_RANK];
  for (gint i = 0; i < v->rank; i++)
    dims[i] = v->dims[v->perm[i]];
  memcpy (v->dims, dims, sizeof dims);
  for (gint i = 0; i < v->rank; i++)
    v->perm[i] = i;
  g_free (v->node);
  v->node = g_strdup (node);
  v->node_rank = g.n;
  return TRUE;
}

/* The sizes of a Reshape target (a folded shape or constant) for a view
 * of input @data: numbers, sizes known at the declared input sizes (the
 * graph then runs only at those), 0 a dim of @data copied, at most one
 * known only at run time (-1), and -1 inferred. */
static gboolean
view_target (NodeCtx *ctx, const Value *target, const Value *data, const View *from,
             gint *rank, gint64 *dims, GError **error)
{
  Importer *imp = ctx->imp;
  gboolean scalar;
  g_autoptr (GArray) elems = target ? shape_elems (imp, target, &scalar) : NULL;
  if (elems == NULL || scalar || elems->len > MAX_VIEW_RANK)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "its shape is not a list of at most %d sizes folded at import", MAX_VIEW_RANK);
      return FALSE;
    }
  *rank = elems->len;
  gint unknown = 0, inferred = -1;
  gint64 count = 1;
  for (guint k = 0; k < elems->len; k++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, k);
      gint64 size = -1;
      if (e->of == NULL && e->number == 0 && from == NULL && (gint) k < data->rank)
        size = data->dims[k]; /* copied; -1 where not known */
      else if (e->of == NULL && e->number == 0)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "its shape copies (0) dim %u of a value of more than four dims", k);
          return FALSE;
        }
      else if (e->of == NULL && e->number == -1)
        inferred = k;
      else if (!shape_elem_probe (imp, e, &size))
        size = -1;
      if (size > G_MAXINT32)
        {
          node_error (error, ctx, CNNFILT_ERROR_FORMAT, "its shape's size %u (%" G_GINT64_FORMAT
                      ") is too large", k, size);
          return FALSE;
        }
      dims[k] = size;
      if (size < 0 && (gint) k != inferred)
        unknown++;
      else if (size >= 0 && __builtin_mul_overflow (count, size, &count))
        {
          node_error (error, ctx, CNNFILT_ERROR_FORMAT, "its shape holds more than 2^63 values");
          return FALSE;
        }
    }
  if (unknown + (inferred >= 0) > 1)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "%d sizes of its shape of %d dims are known only when the graph runs; at most "
                  "one is supported", unknown + (inferred >= 0), *rank);
      return FALSE;
    }
  /* an inferred size is known where the input's count is */
  const gint64 *in = from ? from->dims : data->dims;
  gint in_rank = from ? from->rank : data->rank;
  gint64 total = in_rank < 0 ? -1 : 1;
  for (gint d = 0; d < in_rank && total > 0; d++)
    if (in[d] < 0 || __builtin_mul_overflow (total, in[d], &total))
      total = -1;
  if (inferred >= 0 && total > 0 && count > 0)
    dims[inferred] = total / count;
  return TRUE;
}

/* A Reshape of a value of at most four dims to five or more: a view of
 * the same node. */
gboolean
is_view_reshape (Importer *imp, const Onnx__NodeProto *proto)
{
  if (!g_str_equal (nonnull (proto->op_type), "Reshape") || proto->n_input != 2)
    return FALSE;
  const Value *target = g_hash_table_lookup (imp->values, proto->input[1]);
  gboolean scalar;
  g_autoptr (GArray) elems = target ? shape_elems (imp, target, &scalar) : NULL;
  return elems != NULL && elems->len > MAX_RANK && elems->len <= MAX_VIEW_RANK;
}

static Value *
add_view_value (Importer *imp, const gchar *name, View *view)
{
  Value *value = add_value (imp, name);
  value->view = view;
  value->rank = view->rank;
  return value;
}

static gboolean
import_view_reshape (NodeCtx *ctx, Value *data, GError **error)
{
  Importer *imp = ctx->imp;
  View *from = data ? data->view : NULL;
  if (from != NULL && !view_apply_perm (ctx, from, error))
    return FALSE;
  if (data == NULL || (from == NULL && data->node == NULL))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "it reshapes a constant, or nothing, to "
                  "more than four dims");
      return FALSE;
    }
  View *view = g_new0 (View, 1);
  if (!view_target (ctx, g_hash_table_lookup (imp->values, ctx->proto->input[1]), data, from,
                    &view->rank, view->dims, error))
    {
      g_free (view);
      return FALSE;
    }
  view->node = g_strdup (from ? from->node : data->node);
  view->node_rank = from ? from->node_rank : data->rank;
  for (gint i = 0; i < view->rank; i++)
    view->perm[i] = i;
  add_view_value (imp, ctx->proto->output[0], view);
  return TRUE;
}

gboolean
import_view_reshape_node (NodeCtx *ctx, GError **error)
{
  return import_view_reshape (ctx, g_hash_table_lookup (ctx->imp->values, ctx->proto->input[0]),
                              error);
}

/* Transpose of a view: the permutations composed. */
static gboolean
import_view_transpose (NodeCtx *ctx, const View *in, GError **error)
{
  const Onnx__NodeProto *proto = ctx->proto;
  gint perm[MAX_VIEW_RANK];
  gint n = 0;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "perm") == 0)
      {
        n = proto->attribute[i]->n_ints;
        for (gint k = 0; k < n && k < MAX_VIEW_RANK; k++)
          perm[k] = proto->attribute[i]->ints[k];
      }
  if (n == 0)
    for (n = 0; n < in->rank; n++)
      perm[n] = in->rank - 1 - n;
  guint seen = 0;
  for (gint k = 0; k < n; k++)
    {
      if (n != in->rank || perm[k] < 0 || perm[k] >= in->rank || (seen >> perm[k]) & 1)
        {
          node_error (error, ctx, CNNFILT_ERROR_FORMAT,
                      "its perm is not a permutation of the input's %d dims", in->rank);
          return FALSE;
        }
      seen |= 1u << perm[k];
    }
  View *out = g_memdup2 (in, sizeof *in);
  out->node = g_strdup (in->node);
  for (gint k = 0; k < n; k++)
    out->perm[k] = in->perm[perm[k]];
  add_view_value (ctx->imp, proto->output[0], out);
  return TRUE;
}

/* Gather of one constant index on a view: the dim sliced out of the node
 * order (outer dims, that one, inner dims: three), the permutation kept
 * for the others. */
static gboolean
import_view_gather (NodeCtx *ctx, const View *in, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const Value *indices = proto->n_input == 2 ? g_hash_table_lookup (imp->values, proto->input[1]) : NULL;
  gboolean scalar = FALSE;
  g_autoptr (GArray) elems = indices ? shape_elems (imp, indices, &scalar) : NULL;
  gint64 axis = int_attribute (proto, "axis", 0, NULL);
  axis = axis < 0 ? axis + in->rank : axis;
  if (elems == NULL || !scalar || elems->len != 1 ||
      g_array_index (elems, ShapeElem, 0).of != NULL || axis < 0 || axis >= in->rank)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "on a value of %d dims only a Gather of one constant index along one of them is "
                  "supported", in->rank);
      return FALSE;
    }
  gint s = in->perm[axis];
  gint64 size = in->dims[s], index = g_array_index (elems, ShapeElem, 0).number;
  index = index < 0 ? index + size : index;
  if (size < 0 || index < 0 || index >= size)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "its index is out of range, or the dim "
                  "it indexes is known only when the graph runs");
      return FALSE;
    }
  Groups g = { 0, { 0 } };
  if (s > 0)
    g.start[g.n++] = 0;
  g.start[g.n++] = s;
  if (s + 1 < in->rank)
    g.start[g.n++] = s + 1;
  g.start[g.n] = in->rank;
  gint64 sizes[MAX_VIEW_RANK];
  group_sizes (in, &g, sizes);
  g_autofree gchar *starts = g_strdup_printf ("%" G_GINT64_FORMAT, index);
  g_autofree gchar *ends = g_strdup_printf ("%" G_GINT64_FORMAT, index + 1);
  const gchar *grouped = add_reshape (ctx, "#grouped", in->node, g.n, sizes, error);
  g_autofree gchar *wanted = g_strconcat (proto->output[0], "#slice", NULL);
  gchar *name = unique_name (imp, wanted);
  g_ptr_array_add (imp->owned, name);
  if (grouped == NULL || !add_slice_node (ctx, name, grouped, starts, ends, s > 0, g.n, error))
    return FALSE;
  View *out = g_new0 (View, 1);
  out->node = g_strdup (name);
  out->node_rank = g.n;
  out->rank = in->rank - 1;
  for (gint d = 0, o = 0; d < in->rank; d++)
    if (d != s)
      out->dims[o++] = in->dims[d];
  for (gint i = 0, o = 0; i < in->rank; i++)
    if (i != axis)
      out->perm[o++] = in->perm[i] - (in->perm[i] > s);
  add_view_value (imp, proto->output[0], out);
  return TRUE;
}

/* A Value that holds graph node @node with @rank and @dims as a value of
 * the importer, under a name of its own; the name. */
static const gchar *
add_plain_value (NodeCtx *ctx, const gchar *suffix, const gchar *node, gint rank,
                 const gint64 *dims)
{
  Importer *imp = ctx->imp;
  gchar *name = g_strconcat (ctx->proto->output[0], suffix, NULL);
  g_ptr_array_add (imp->owned, name);
  Value *value = add_value (imp, name);
  value->node = g_strdup (node);
  value->rank = rank;
  value->dim0_other = TRUE;
  for (gint d = 0; d < rank && d < MAX_RANK; d++)
    value->dims[d] = dims[d];
  return name;
}

/* ctx->proto again, its inputs read from @inputs where they are not NULL
 * and its output written to @output unless NULL: how a node on a view is
 * imported once the view is a value of at most four dims. */
static gboolean
import_renamed (NodeCtx *ctx, const gchar *const *inputs, const gchar *output, GError **error)
{
  Onnx__NodeProto copy = *ctx->proto;
  g_autofree gchar **names = g_memdup2 (copy.input, copy.n_input * sizeof (gchar *));
  g_autofree gchar **outputs = g_memdup2 (copy.output, copy.n_output * sizeof (gchar *));
  for (gsize i = 0; i < copy.n_input; i++)
    if (inputs[i] != NULL)
      names[i] = (gchar *) inputs[i];
  if (output != NULL)
    outputs[0] = (gchar *) output;
  copy.input = names;
  copy.output = outputs;
  return import_node (ctx->imp, &copy, 0, error);
}

/* A broadcasting op of a view and a constant: the view's dims that the
 * constant treats alike (both broadcast, or both not) merge, so that both
 * have at most four. */
static gboolean
import_view_broadcast (NodeCtx *ctx, View *in, gsize at, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const Value *other = g_hash_table_lookup (imp->values, proto->input[1 - at]);
  const Onnx__TensorProto *c = other ? other->constant : NULL;
  if (c == NULL || c->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
      (gint) c->n_dims > in->rank)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "on a value of %d dims only an op with a float constant of as many dims or "
                  "fewer is supported", in->rank);
      return FALSE;
    }
  if (!view_apply_perm (ctx, in, error))
    return FALSE;
  /* the constant's dims aligned to the view's (numpy: leading 1s) */
  gint64 cd[MAX_VIEW_RANK];
  gint lead = in->rank - (gint) c->n_dims;
  for (gint d = 0; d < in->rank; d++)
    {
      cd[d] = d < lead ? 1 : c->dims[d - lead];
      if (cd[d] != 1 && in->dims[d] >= 0 && cd[d] != in->dims[d])
        {
          node_error (error, ctx, CNNFILT_ERROR_SHAPE,
                      "its constant's dim %d (%" G_GINT64_FORMAT ") does not broadcast to %"
                      G_GINT64_FORMAT, d, cd[d], in->dims[d]);
          return FALSE;
        }
    }
  Groups g = { 0, { 0 } };
  for (gint d = 0; d < in->rank; d++)
    if (d == 0 || (cd[d] == 1) != (cd[d - 1] == 1))
      g.start[g.n++] = d;
  g.start[g.n] = in->rank;
  if (g.n > MAX_RANK)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "its constant broadcasts along %d groups of the %d dims of the other input; at "
                  "most %d are supported", g.n, in->rank, MAX_RANK);
      return FALSE;
    }
  gint64 sizes[MAX_VIEW_RANK], csizes[MAX_RANK];
  group_sizes (in, &g, sizes);
  for (gint k = 0; k < g.n; k++)
    {
      csizes[k] = 1;
      for (gint d = g.start[k]; d < g.start[k + 1]; d++)
        csizes[k] *= cd[d];
    }
  /* the same values in the constant, its dims grouped */
  Onnx__TensorProto *grouped = g_memdup2 (c, sizeof *c);
  g_ptr_array_add (imp->synthetic, grouped);
  grouped->n_dims = g.n;
  grouped->dims = g_memdup2 (csizes, g.n * sizeof (gint64));
  g_autofree gchar *cname = g_strconcat (proto->output[0], "#grouped-constant", NULL);
  Value *cvalue = add_value (imp, cname);
  cvalue->constant = grouped;
  cvalue->rank = g.n;
  const gchar *node = add_reshape (ctx, "#grouped", in->node, g.n, sizes, error);
  if (node == NULL)
    return FALSE;
  const gchar *input = add_plain_value (ctx, "#grouped-value", node, g.n, sizes);
  g_autofree gchar *out_name = g_strconcat (proto->output[0], "#grouped-result", NULL);
  const gchar *inputs[2];
  inputs[at] = input;
  inputs[1 - at] = cname;
  if (!import_renamed (ctx, inputs, out_name, error))
    return FALSE;
  const Value *result = g_hash_table_lookup (imp->values, out_name);
  View *out = g_memdup2 (in, sizeof *in);
  out->node = g_strdup (result->node);
  out->node_rank = g.n;
  add_view_value (imp, proto->output[0], out);
  return TRUE;
}

/* The view @in as a node of its own dims, at most four. */
static const gchar *
view_node (NodeCtx *ctx, View *in, GError **error)
{
  if (!view_apply_perm (ctx, in, error))
    return NULL;
  if (in->rank > MAX_RANK)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED, "it has %d dims; at most %d are "
                  "supported here", in->rank, MAX_RANK);
      return NULL;
    }
  return add_reshape (ctx, "#view", in->node, in->rank, in->dims, error);
}

const gchar *
view_output_node (NodeCtx *ctx, Value *value, GError **error)
{
  return view_node (ctx, value->view, error);
}

gboolean
reads_view (Importer *imp, const Onnx__NodeProto *proto)
{
  for (gsize i = 0; i < proto->n_input; i++)
    {
      const Value *v = *proto->input[i] ? g_hash_table_lookup (imp->values, proto->input[i]) : NULL;
      if (v != NULL && v->view != NULL)
        return TRUE;
    }
  return FALSE;
}

gboolean
import_on_view (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const gchar *op_type = nonnull (proto->op_type);
  gsize at = 0;
  while (at < proto->n_input &&
         (*proto->input[at] == '\0' ||
          ((Value *) g_hash_table_lookup (imp->values, proto->input[at]))->view == NULL))
    at++;
  Value *value = g_hash_table_lookup (imp->values, proto->input[at]);
  View *in = value->view;
  static const gchar *const broadcasting[] = { "Add", "Sub", "Mul", "Div", NULL };

  if (g_str_equal (op_type, "Reshape") && (at != 0 || proto->n_input != 2))
    {
      node_error (error, ctx, CNNFILT_ERROR_FORMAT, "Reshape takes its data and a shape");
      return FALSE;
    }
  if (g_str_equal (op_type, "Reshape"))
    {
      gboolean scalar;
      const Value *target = g_hash_table_lookup (imp->values, proto->input[1]);
      g_autoptr (GArray) elems = target ? shape_elems (imp, target, &scalar) : NULL;
      if (elems != NULL && elems->len > MAX_RANK)
        return import_view_reshape (ctx, value, error);
    }
  else if (g_str_equal (op_type, "Transpose"))
    return import_view_transpose (ctx, in, error);
  else if (g_str_equal (op_type, "Gather") && at == 0)
    return import_view_gather (ctx, in, error);
  else if (g_strv_contains (broadcasting, op_type) && proto->n_input == 2 &&
           in->rank > MAX_RANK)
    return import_view_broadcast (ctx, in, at, error);

  /* anything else reads the view as a value of at most four dims */
  if (!view_apply_perm (ctx, in, error))
    return FALSE;
  if (in->rank > MAX_RANK && !g_str_equal (op_type, "Reshape"))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "input %" G_GSIZE_FORMAT " has %d dims; %s is supported on at most %d "
                  "(Reshape, Transpose, Gather and Add, Sub, Mul and Div with a constant on more)",
                  at, in->rank, op_type, MAX_RANK);
      return FALSE;
    }
  const gchar *input;
  if (in->rank <= MAX_RANK)
    {
      const gchar *node = view_node (ctx, in, error);
      if (node == NULL)
        return FALSE;
      input = add_plain_value (ctx, "#view-value", node, in->rank, in->dims);
    }
  else
    {
      /* a Reshape of the node's values, in their row-major order: the
       * node's dims are not the value's, so none may be copied (0) */
      gboolean scalar;
      g_autoptr (GArray) target = shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]),
                                               &scalar);
      for (guint k = 0; target != NULL && k < target->len; k++)
        if (g_array_index (target, ShapeElem, k).of == NULL &&
            g_array_index (target, ShapeElem, k).number == 0)
          {
            node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                        "its shape copies (0) dim %u of a value of %d dims", k, in->rank);
            return FALSE;
          }
      const gint64 unknown[MAX_RANK] = { -1, -1, -1, -1 };
      input = add_plain_value (ctx, "#view-value", in->node, in->node_rank, unknown);
    }
  g_autofree const gchar **inputs = g_new0 (const gchar *, proto->n_input);
  inputs[at] = input;
  return import_renamed (ctx, inputs, NULL, error);
}
