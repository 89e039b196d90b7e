/* cnnfilt-onnx-shape.c: shape computations folded at import
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Exporters compute the target shapes of Reshape with Shape, Gather,
 * Unsqueeze, Squeeze, Concat, Cast and Div (x.view(x.size(0), -1) in
 * PyTorch; channels // groups in a channel shuffle), and the target of an
 * Expand with ConstantOfShape, Mul, Equal, Where and a Reshape of the
 * shape to one dim (the -1s of x.expand(n, -1, -1) made 1). These run here, on ShapeElem lists; sizes
 * known only when the graph runs stay symbolic (a dim, or a dim divided
 * by a number), and Reshape turns "dim k of its own input" into 0 (keep
 * that dim) and one other such size into -1 (infer). Anything else on
 * them is refused, naming the node.
 */
#include "cnnfilt-onnx-private.h"
#include "cnnfilt-graph-private.h"

#include <string.h>

/* ---- Probes ------------------------------------------------------------- */

/* A graph node's shapes with the graph's inputs at the sizes they declare
 * and the batch 1, then 2 (a dim that differs depends on the batch). */
typedef struct {
  CnnfiltShape at[2];
  gboolean known;
} Probe;

static void
probe_nodes (Importer *imp)
{
  CnnfiltGraph *graph = imp->graph;
  if (imp->probes == NULL)
    imp->probes = g_array_new (FALSE, TRUE, sizeof (Probe));
  for (guint i = imp->probes->len; i < graph->nodes->len; i++)
    {
      const Node *node = graph->nodes->pdata[i];
      Probe p = { { { 0 } }, FALSE };
      if (node->constant != NULL)
        {
          cnnfilt_tensor_get_shape (node->constant, &p.at[0]);
          p.at[1] = p.at[0];
          p.known = TRUE;
        }
      else if (node->op == NULL)
        {
          const CnnfiltShape *d = &node->declared;
          p.known = d->c > 0 && d->h > 0 && d->w > 0;
          for (guint b = 0; b < 2; b++)
            p.at[b] = (CnnfiltShape) { d->n > 0 ? d->n : b + 1, d->c, d->h, d->w };
        }
      else
        {
          CnnfiltShape in[2][MAX (node->n_inputs, 1)];
          p.known = TRUE;
          for (guint j = 0; j < node->n_inputs && p.known; j++)
            {
              const Probe *q = &g_array_index (imp->probes, Probe, node->inputs[j]);
              p.known = q->known;
              in[0][j] = q->at[0];
              in[1][j] = q->at[1];
            }
          for (guint b = 0; b < 2 && p.known; b++)
            p.known = cnnfilt_op_infer (node->op, in[b], node->n_inputs, &p.at[b], NULL);
        }
      g_array_append_val (imp->probes, p);
    }
}

static Node *
graph_node (Importer *imp, const gchar *name, guint *index)
{
  gpointer found = name ? g_hash_table_lookup (imp->graph->by_name, name) : NULL;
  if (found == NULL)
    return NULL;
  *index = GPOINTER_TO_UINT (found) - 1;
  return imp->graph->nodes->pdata[*index];
}

gboolean
importer_probe_dim (Importer *imp, const gchar *node, gint k, gint64 *size)
{
  guint index;
  if (k < 0 || k >= 4 || graph_node (imp, node, &index) == NULL)
    return FALSE;
  probe_nodes (imp);
  const Probe *p = &g_array_index (imp->probes, Probe, index);
  const guint *a = &p->at[0].n, *b = &p->at[1].n;
  *size = a[k];
  return p->known && a[k] == b[k];
}

void
importer_guard_dim (Importer *imp, const gchar *node, gint k, gint64 size)
{
  guint index;
  Node *n = graph_node (imp, node, &index);
  if (n != NULL && k >= 0 && k < 4)
    (&n->expected.n)[k] = (guint) size;
}

gboolean
shape_elem_peek (Importer *imp, const ShapeElem *e, gint64 *number)
{
  *number = e->of == NULL ? e->number : e->probe;
  if (e->of == NULL)
    return TRUE;
  if (e->used == 0 || e->of->node == NULL)
    return FALSE;
  gint64 size;
  for (gint k = 0; k < 4; k++)
    if ((e->used & (1u << k)) && !importer_probe_dim (imp, e->of->node, k, &size))
      return FALSE;
  return TRUE;
}

gboolean
shape_elem_probe (Importer *imp, const ShapeElem *e, gint64 *number)
{
  if (!shape_elem_peek (imp, e, number))
    return FALSE;
  gint64 size;
  for (gint k = 0; e->of != NULL && k < 4; k++)
    if ((e->used & (1u << k)) && importer_probe_dim (imp, e->of->node, k, &size))
      importer_guard_dim (imp, e->of->node, k, size);
  return TRUE;
}

gboolean
is_shape_op (const gchar *op_type)
{
  static const gchar *const ops[] = { "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast",
                                      "ConstantOfShape", "Equal", "Where", NULL };
  return g_strv_contains (ops, op_type);
}

GArray *
shape_elems (Importer *imp, const Value *value, gboolean *scalar)
{
  if (value == NULL)
    return NULL;
  if (value->folded != NULL)
    {
      *scalar = value->rank == 0;
      return g_array_ref (value->folded);
    }
  const Onnx__TensorProto *t = value->constant;
  if (t == NULL || t->n_dims > 1 ||
      (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
       t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT32))
    return NULL;
  g_autoptr (GArray) numbers = tensor_numbers (imp, t);
  GArray *elems = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < numbers->len; i++)
    {
      ShapeElem e = { g_array_index (numbers, Number, i).i, NULL, 0, 1 };
      g_array_append_val (elems, e);
    }
  *scalar = t->n_dims == 0;
  return elems;
}

/* The axes of Unsqueeze/Squeeze (attribute before opset 13, input after);
 * TRUE when they are exactly {0}, or absent where @absent_ok. */
static gboolean
axes_are_zero (Importer *imp, const Onnx__NodeProto *proto, gboolean absent_ok)
{
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "axes") == 0)
      return proto->attribute[i]->n_ints == 1 && proto->attribute[i]->ints[0] == 0;
  if (proto->n_input > 1 && *proto->input[1])
    {
      gboolean scalar;
      g_autoptr (GArray) axes = shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]),
                                             &scalar);
      return axes != NULL && axes->len == 1 && g_array_index (axes, ShapeElem, 0).of == NULL &&
             g_array_index (axes, ShapeElem, 0).number == 0;
    }
  return absent_ok;
}

/* An int64 tensor of @n values (a scalar when @scalar) made by the
 * importer, freed with it; the caller fills int64_data. */
static Onnx__TensorProto *
synthetic_int64 (Importer *imp, guint n, gboolean scalar)
{
  Onnx__TensorProto *tensor = g_new0 (Onnx__TensorProto, 1);
  onnx__tensor_proto__init (tensor);
  g_ptr_array_add (imp->synthetic, tensor);
  tensor->has_data_type = TRUE;
  tensor->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  tensor->n_dims = scalar ? 0 : 1;
  tensor->dims = g_new (int64_t, 1);
  tensor->dims[0] = n;
  tensor->n_int64_data = n;
  tensor->int64_data = g_new0 (int64_t, MAX (n, 1));
  g_ptr_array_add (imp->owned, tensor->int64_data);
  return tensor;
}

gboolean
is_shape_concat (Importer *imp, const Onnx__NodeProto *proto)
{
  if (!g_str_equal (nonnull (proto->op_type), "Concat") || proto->n_input == 0)
    return FALSE;
  gboolean shapes = TRUE, any_folded = FALSE, scalar;
  for (gsize i = 0; i < proto->n_input && shapes; i++)
    {
      Value *v = g_hash_table_lookup (imp->values, proto->input[i]);
      g_autoptr (GArray) e = shape_elems (imp, v, &scalar);
      shapes = e != NULL;
      any_folded = any_folded || (v != NULL && v->folded != NULL);
    }
  return shapes && any_folded;
}

/* Div of a shape by one positive integer constant, or by a size that does
 * not depend on the batch (Swin's number of windows, shape_elem_peek):
 * integer division, as ONNX's of integers (truncating; sizes are not
 * negative). */
gboolean
is_shape_div (Importer *imp, const Onnx__NodeProto *proto)
{
  if (!g_str_equal (nonnull (proto->op_type), "Div") || proto->n_input != 2)
    return FALSE;
  Value *shape = g_hash_table_lookup (imp->values, proto->input[0]);
  gboolean scalar;
  g_autoptr (GArray) divisor = shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]),
                                            &scalar);
  gint64 number;
  return shape != NULL && shape->folded != NULL && divisor != NULL && divisor->len == 1 &&
         shape_elem_peek (imp, &g_array_index (divisor, ShapeElem, 0), &number) &&
         number > 0;
}

/* Add, Sub and Mul of shapes and integer constants: PyTorch's x.chunk(k,
 * dim) bounds its slices with (size + k − 1) / k · i. */
gboolean
is_shape_arith (Importer *imp, const Onnx__NodeProto *proto)
{
  static const gchar *const ops[] = { "Add", "Sub", "Mul", NULL };
  if (!g_strv_contains (ops, nonnull (proto->op_type)) || proto->n_input != 2)
    return FALSE;
  gboolean any_folded = FALSE, scalar;
  for (guint i = 0; i < 2; i++)
    {
      Value *v = g_hash_table_lookup (imp->values, proto->input[i]);
      g_autoptr (GArray) e = shape_elems (imp, v, &scalar);
      if (e == NULL)
        return FALSE;
      any_folded = any_folded || v->folded != NULL;
    }
  return any_folded;
}

/* Reshape of a folded 1-D shape to one dim (-1, or its length): the
 * shape again (PyTorch's x.expand(n, -1, -1) passes its target through
 * one). */
gboolean
is_shape_reshape (Importer *imp, const Onnx__NodeProto *proto)
{
  if (!g_str_equal (nonnull (proto->op_type), "Reshape") || proto->n_input != 2)
    return FALSE;
  Value *data = g_hash_table_lookup (imp->values, proto->input[0]);
  return data != NULL && data->folded != NULL && data->rank == 1;
}

/* Each fold below returns the elements of the node's output, or NULL and
 * *@why, what it cannot fold. */

/* Shape: the dims of its input from start to end, symbolic where unknown. */
static GArray *
fold_shape (Importer *imp, const Onnx__NodeProto *proto, const Value *first, const gchar **why)
{
  gboolean given = FALSE;
  gint64 start = int_attribute (proto, "start", 0, NULL), end = int_attribute (proto, "end", 0, &given);
  if (first->rank < 0)
    {
      *why = "the rank of its input is not known";
      return NULL;
    }
  gint r = first->rank;
  start = CLAMP (start < 0 ? start + r : start, 0, r);
  end = given ? CLAMP (end < 0 ? end + r : end, 0, r) : r;
  GArray *out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (gint64 k = start; k < end; k++)
    {
      ShapeElem e = { first->dims[k], first->dims[k] > 0 ? NULL : first, (gint) k, 1 };
      if (e.of != NULL && importer_probe_dim (imp, first->node, (gint) k, &e.probe))
        e.used = 1u << k;
      else if (e.of == NULL && first->node != NULL && first->view == NULL)
        /* a size the model declares (value_info, a graph input's fixed
         * dims), read as a number: the run must find it */
        importer_guard_dim (imp, first->node, (gint) k, first->dims[k]);
      g_array_append_val (out, e);
    }
  return out;
}

static GArray *
fold_gather (Importer *imp, const Onnx__NodeProto *proto, GArray *in, gboolean in_scalar,
             gboolean *scalar, const gchar **why)
{
  gboolean index_scalar;
  g_autoptr (GArray) indices = proto->n_input > 1
      ? shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]), &index_scalar)
      : NULL;
  if (int_attribute (proto, "axis", 0, NULL) != 0 || in_scalar)
    *why = "only axis 0 of a 1-D shape is supported";
  else if (indices == NULL)
    *why = "its indices are not constant";
  if (*why != NULL)
    return NULL;
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < indices->len; i++)
    {
      const ShapeElem *index = &g_array_index (indices, ShapeElem, i);
      gint64 k = index->number < 0 ? index->number + in->len : index->number;
      if (index->of != NULL || k < 0 || k >= in->len)
        {
          *why = "an index is out of range";
          return NULL;
        }
      g_array_append_val (out, g_array_index (in, ShapeElem, k));
    }
  *scalar = index_scalar;
  return g_steal_pointer (&out);
}

static GArray *
fold_concat (Importer *imp, const Onnx__NodeProto *proto, gboolean in_scalar, const gchar **why)
{
  /* Concat's axis defaults to 1 before opset 4 (and is required after) */
  if (int_attribute (proto, "axis", imp->opset < 4 ? 1 : 0, NULL) != 0 || in_scalar)
    {
      *why = "only axis 0 of 1-D shapes is supported";
      return NULL;
    }
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (gsize i = 0; i < proto->n_input; i++)
    {
      gboolean part_scalar;
      g_autoptr (GArray) part =
          shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[i]), &part_scalar);
      if (part == NULL || part_scalar)
        {
          *why = "not all its inputs are 1-D shapes";
          return NULL;
        }
      g_array_append_vals (out, part->data, part->len);
    }
  return g_steal_pointer (&out);
}

/* Each element divided by the constant second input (is_shape_div): a
 * number is divided now, a symbolic dim keeps the divisor. */
static GArray *
fold_div (Importer *imp, const Onnx__NodeProto *proto, GArray *in, gboolean in_scalar,
          gboolean *scalar, const gchar **why)
{
  gboolean divisor_scalar;
  g_autoptr (GArray) divisor_elems =
      shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]), &divisor_scalar);
  gint64 divisor;
  shape_elem_probe (imp, &g_array_index (divisor_elems, ShapeElem, 0), &divisor);
  GArray *out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < in->len; i++)
    {
      ShapeElem e = g_array_index (in, ShapeElem, i);
      if (e.of == NULL)
        e.number /= divisor;
      else if (e.divisor > G_MAXINT32 / divisor)
        {
          *why = "a size is divided by more than 2^31";
          g_array_unref (out);
          return NULL;
        }
      else
        {
          e.divisor *= divisor;
          e.probe /= divisor;
        }
      g_array_append_val (out, e);
    }
  *scalar = in_scalar && divisor_scalar;
  return out;
}

/* The longest expression of a size that Add, Sub and Mul build: PyTorch's
 * chunk needs some twenty characters. */
#define MAX_EXPRESSION 200

/* The text of a size known only when the graph runs, in d0 … d3 for the
 * dims of the value it is computed from; owned by the importer. */
static const gchar *
elem_text (Importer *imp, const ShapeElem *e)
{
  gchar *text;
  if (e->of == NULL)
    text = g_strdup_printf ("%" G_GINT64_FORMAT, e->number);
  else
    {
      g_autofree gchar *dim = g_strdup_printf ("d%d", e->dim);
      const gchar *base = e->expr ? e->expr : dim;
      /* a dim, or an expression in brackets (fold_arith): no more needed */
      text = e->divisor == 1 ? g_strdup (base)
                             : g_strdup_printf ("%s/%" G_GINT64_FORMAT, base, e->divisor);
    }
  g_ptr_array_add (imp->owned, text);
  return text;
}

/* Add, Sub or Mul (is_shape_arith), numpy-style: a single value meets
 * each of the other's. Numbers are computed now; a size known only when
 * the graph runs becomes an expression (elem_text) of the dims of the one
 * value it is computed from. */
static GArray *
fold_arith (Importer *imp, const Onnx__NodeProto *proto, GArray *in, gboolean in_scalar,
            gboolean *scalar, const gchar **why)
{
  gboolean right_scalar;
  g_autoptr (GArray) right =
      shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]), &right_scalar);
  const gchar op = proto->op_type[0] == 'A' ? '+' : proto->op_type[0] == 'S' ? '-' : '*';
  if (in->len != right->len && in->len != 1 && right->len != 1)
    {
      *why = "its inputs have different lengths";
      return NULL;
    }
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < MAX (in->len, right->len); i++)
    {
      const ShapeElem *a = &g_array_index (in, ShapeElem, in->len == 1 ? 0 : i);
      const ShapeElem *b = &g_array_index (right, ShapeElem, right->len == 1 ? 0 : i);
      ShapeElem e = { 0, NULL, 0, 1, NULL }, na = { 0, NULL, 0, 1, NULL }, nb = na;
      /* sizes of two tensors: one that does not depend on the batch is
       * taken at the declared input sizes (Swin's batch · windows) */
      if (a->of != NULL && b->of != NULL && a->of != b->of)
        {
          if (shape_elem_probe (imp, b, &nb.number))
            b = &nb;
          else if (shape_elem_probe (imp, a, &na.number))
            a = &na;
        }
      if (a->of == NULL && b->of == NULL)
        {
          gboolean overflow = op == '+' ? __builtin_add_overflow (a->number, b->number, &e.number)
                            : op == '-' ? __builtin_sub_overflow (a->number, b->number, &e.number)
                                        : __builtin_mul_overflow (a->number, b->number, &e.number);
          if (overflow)
            {
              *why = "a value is out of 64-bit range";
              return NULL;
            }
        }
      else if (a->of != NULL && b->of != NULL && a->of != b->of)
        {
          *why = "it combines sizes of two tensors";
          return NULL;
        }
      else
        {
          e.of = a->of ? a->of : b->of;
          e.dim = a->of ? a->dim : b->dim;
          gint64 pa = a->of ? a->probe : a->number, pb = b->of ? b->probe : b->number;
          gboolean overflow = op == '+' ? __builtin_add_overflow (pa, pb, &e.probe)
                            : op == '-' ? __builtin_sub_overflow (pa, pb, &e.probe)
                                        : __builtin_mul_overflow (pa, pb, &e.probe);
          if ((a->of == NULL || a->used) && (b->of == NULL || b->used) && !overflow)
            e.used = a->used | b->used;
          e.expr = g_strdup_printf ("(%s%c%s)", elem_text (imp, a), op, elem_text (imp, b));
          g_ptr_array_add (imp->owned, (gpointer) e.expr);
          /* a chain of such nodes would grow it without end */
          if (strlen (e.expr) > MAX_EXPRESSION)
            {
              *why = "the size it computes is too long an expression";
              return NULL;
            }
        }
      g_array_append_val (out, e);
    }
  *scalar = in_scalar && right_scalar;
  return g_steal_pointer (&out);
}

/* ConstantOfShape of a 1-D shape of one number n: n copies of its integer
 * value (exporters fill the -1s of expand(n, -1, -1) this way). */
static GArray *
fold_constant_of_shape (Importer *imp, const Onnx__NodeProto *proto, GArray *in,
                        gboolean in_scalar, const gchar **why)
{
  const Onnx__TensorProto *value = NULL;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "value") == 0)
      value = proto->attribute[i]->t;
  g_autoptr (GArray) numbers = value ? tensor_numbers (imp, value) : NULL;
  const ShapeElem *n = in->len == 1 ? &g_array_index (in, ShapeElem, 0) : NULL;
  if (in_scalar || n == NULL || n->of != NULL || n->number < 0 || n->number > 64 ||
      numbers == NULL || numbers->len != 1 || !g_array_index (numbers, Number, 0).is_int)
    {
      *why = "only a 1-D shape of up to 64 integers (value an integer) is supported";
      return NULL;
    }
  GArray *out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (gint64 i = 0; i < n->number; i++)
    {
      ShapeElem e = { g_array_index (numbers, Number, 0).i, NULL, 0, 1, NULL };
      g_array_append_val (out, e);
    }
  return out;
}

/* The elements of @a and @b, numpy-style (one of one element meets each
 * of the other's), as pairs: FALSE where their lengths do not broadcast. */
static gboolean
broadcast_pairs (GArray *a, GArray *b, guint *length)
{
  if (a->len != b->len && a->len != 1 && b->len != 1)
    return FALSE;
  *length = MAX (a->len, b->len);
  return TRUE;
}

#define PAIR(array, i) (&g_array_index ((array), ShapeElem, (array)->len == 1 ? 0 : (i)))

/* Equal of shapes: 1 or 0 per element. A size known only at run time is
 * at least 1, so it differs from any smaller number (the -1s of an
 * expand); equal to itself. */
static GArray *
fold_equal (Importer *imp, const Onnx__NodeProto *proto, GArray *in, gboolean in_scalar,
            gboolean *scalar, const gchar **why)
{
  gboolean right_scalar;
  g_autoptr (GArray) right =
      proto->n_input == 2 ? shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]),
                                         &right_scalar) : NULL;
  guint length;
  if (right == NULL || !broadcast_pairs (in, right, &length))
    {
      *why = "it does not compare two shapes of the same length";
      return NULL;
    }
  GArray *out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < length; i++)
    {
      const ShapeElem *a = PAIR (in, i), *b = PAIR (right, i);
      ShapeElem e = { 0, NULL, 0, 1, NULL };
      if (a->of == NULL && b->of == NULL)
        e.number = a->number == b->number;
      else if (a->of == b->of && a->dim == b->dim && a->divisor == b->divisor &&
               g_strcmp0 (a->expr, b->expr) == 0)
        e.number = 1;
      else if ((a->of == NULL && a->number < 1) || (b->of == NULL && b->number < 1))
        e.number = 0;
      else
        {
          *why = "it compares a size known only when the graph runs with another";
          g_array_unref (out);
          return NULL;
        }
      g_array_append_val (out, e);
    }
  *scalar = in_scalar && right_scalar;
  return out;
}

/* Where of shapes: the element of input 1 where the condition is not 0,
 * of input 2 where it is. */
static GArray *
fold_where (Importer *imp, const Onnx__NodeProto *proto, GArray *in, gboolean in_scalar,
            gboolean *scalar, const gchar **why)
{
  gboolean scalar_a = FALSE, scalar_b = FALSE;
  g_autoptr (GArray) a =
      proto->n_input == 3 ? shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]),
                                         &scalar_a) : NULL;
  g_autoptr (GArray) b =
      proto->n_input == 3 ? shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[2]),
                                         &scalar_b) : NULL;
  guint ab, length;
  if (a == NULL || b == NULL || !broadcast_pairs (a, b, &ab) ||
      (in->len != ab && in->len != 1 && ab != 1))
    {
      *why = "it does not choose between two shapes of the condition's length";
      return NULL;
    }
  length = MAX (in->len, ab);
  GArray *out = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < length; i++)
    {
      const ShapeElem *c = PAIR (in, i);
      if (c->of != NULL)
        {
          *why = "its condition is a size known only when the graph runs";
          g_array_unref (out);
          return NULL;
        }
      const ShapeElem *pick = c->number != 0 ? PAIR (a, i) : PAIR (b, i);
      g_array_append_val (out, *pick);
    }
  *scalar = in_scalar && scalar_a && scalar_b;
  return out;
}

/* Reshape of a 1-D shape: its target one dim, -1 or the shape's length. */
static GArray *
fold_reshape (Importer *imp, const Onnx__NodeProto *proto, GArray *in, const gchar **why)
{
  gboolean scalar = FALSE;
  g_autoptr (GArray) target = shape_elems (imp, g_hash_table_lookup (imp->values, proto->input[1]),
                                           &scalar);
  const ShapeElem *t = target && target->len == 1 ? &g_array_index (target, ShapeElem, 0) : NULL;
  if (scalar || t == NULL || t->of != NULL || (t->number != -1 && t->number != (gint64) in->len))
    {
      *why = "it reshapes a shape to other than one dim of its length";
      return NULL;
    }
  return g_array_ref (in);
}

/* The ops that take a shape or integer constant @in and pass it on:
 * Unsqueeze and Squeeze between a scalar and one value, Cast to integers. */
static GArray *
fold_pass_on (Importer *imp, const Onnx__NodeProto *proto, GArray *in, gboolean in_scalar,
              gboolean *scalar, const gchar **why)
{
  const gchar *op_type = nonnull (proto->op_type);
  if (g_str_equal (op_type, "Unsqueeze"))
    {
      if (!in_scalar || !axes_are_zero (imp, proto, FALSE))
        *why = "only a scalar made a 1-D shape (axes [0]) is supported";
      *scalar = FALSE;
    }
  else if (g_str_equal (op_type, "Squeeze"))
    {
      if (in_scalar || in->len != 1 || !axes_are_zero (imp, proto, TRUE))
        *why = "only a 1-D shape of one value made a scalar is supported";
      *scalar = TRUE;
    }
  else /* Cast */
    {
      gint64 to = int_attribute (proto, "to", 0, NULL);
      if (to != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 && to != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
        *why = "only casts to integers are supported";
      *scalar = in_scalar;
    }
  return *why == NULL ? g_array_ref (in) : NULL;
}

/* The folded output of the node: a shape, and where all its elements are
 * numbers an ordinary constant too, for any op that reads one. */
static void
keep_folded (Importer *imp, const Onnx__NodeProto *proto, GArray *out, gboolean scalar)
{
  Value *value = add_value (imp, proto->output[0]);
  value->folded = out;
  value->rank = scalar ? 0 : 1;
  value->dims[0] = scalar ? -1 : (gint64) out->len;
  gboolean known = TRUE;
  for (guint i = 0; i < out->len; i++)
    known = known && g_array_index (out, ShapeElem, i).of == NULL;
  if (known)
    {
      Onnx__TensorProto *tensor = synthetic_int64 (imp, out->len, scalar);
      for (guint i = 0; i < out->len; i++)
        tensor->int64_data[i] = g_array_index (out, ShapeElem, i).number;
      value->constant = tensor;
    }
}

gboolean
fold_shape_node (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  const gchar *op_type = nonnull (proto->op_type);
  Value *first = proto->n_input > 0 ? g_hash_table_lookup (imp->values, proto->input[0]) : NULL;
  gboolean scalar = FALSE, in_scalar = FALSE;
  g_autoptr (GArray) in = NULL;
  GArray *out = NULL;
  const gchar *why = NULL;

  if (first == NULL)
    why = "it has no input";
  else if (g_str_equal (op_type, "Shape"))
    out = fold_shape (imp, proto, first, &why);
  else if ((in = shape_elems (imp, first, &in_scalar)) == NULL)
    why = "its input is neither a shape nor an integer constant";
  else if (g_str_equal (op_type, "Gather"))
    out = fold_gather (imp, proto, in, in_scalar, &scalar, &why);
  else if (g_str_equal (op_type, "Concat"))
    out = fold_concat (imp, proto, in_scalar, &why);
  else if (g_str_equal (op_type, "Div"))
    out = fold_div (imp, proto, in, in_scalar, &scalar, &why);
  else if (g_str_equal (op_type, "ConstantOfShape"))
    out = fold_constant_of_shape (imp, proto, in, in_scalar, &why);
  else if (g_str_equal (op_type, "Equal"))
    out = fold_equal (imp, proto, in, in_scalar, &scalar, &why);
  else if (g_str_equal (op_type, "Where"))
    out = fold_where (imp, proto, in, in_scalar, &scalar, &why);
  else if (g_str_equal (op_type, "Reshape"))
    out = fold_reshape (imp, proto, in, &why);
  else if (is_shape_arith (imp, proto))
    out = fold_arith (imp, proto, in, in_scalar, &scalar, &why);
  else
    out = fold_pass_on (imp, proto, in, in_scalar, &scalar, &why);
  if (why != NULL && out == NULL && is_constant_fold (imp, proto, TRUE))
    return fold_constant_node (ctx, error);
  if (why != NULL)
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "only shape computations that fold at import are supported, and here %s", why);
      return FALSE;
    }
  keep_folded (imp, proto, out, scalar);
  return TRUE;
}

/* ---- Reshape ------------------------------------------------------------ */

/* Whether element @k of a target shape is dim @k of the reshaped @data
 * (or dim 0 of any tensor at 0: the batch), which Reshape keeps as 0. */
static gboolean
in_place (const ShapeElem *e, guint k, const Value *data)
{
  return e->dim == (gint) k && (e->of == data || (k == 0 && !data->dim0_other)) &&
         e->divisor == 1 && e->expr == NULL;
}

/* How many sizes of a Reshape target are -1, and how many are known only
 * at run time and not @data's own dim in place. */
static void
count_target (const Value *shape, const Value *data, guint *inferred, guint *unknown)
{
  *inferred = *unknown = 0;
  for (guint k = 0; k < shape->folded->len; k++)
    {
      const ShapeElem *e = &g_array_index (shape->folded, ShapeElem, k);
      *inferred += e->of == NULL && e->number == -1;
      *unknown += e->of != NULL && !in_place (e, k, data);
    }
}

gboolean
reshape_target_fits (const Value *shape, const Value *data)
{
  guint inferred, unknown;
  count_target (shape, data, &inferred, &unknown);
  return unknown == 0 || (unknown == 1 && inferred == 0);
}

const Onnx__TensorProto *
reshape_target (NodeCtx *ctx, const Value *shape, const Value *data, GError **error)
{
  Importer *imp = ctx->imp;
  GArray *elems = shape->folded;
  Onnx__TensorProto *tensor = synthetic_int64 (imp, elems->len, FALSE);
  /* A size known only at run time that is not the input's own dim in
   * place is left to Reshape to infer (-1) when it is the only one and
   * no value is -1 already: the count of values fixes it (attention's
   * view(len, batch * heads, dim), the batch read from another tensor). */
  gboolean fits = reshape_target_fits (shape, data);
  for (guint k = 0; k < elems->len; k++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, k);
      if (e->of == NULL)
        tensor->int64_data[k] = e->number;
      else if (in_place (e, k, data))
        tensor->int64_data[k] = 0; /* the same dim of the input: the batch, say */
      else if (fits)
        tensor->int64_data[k] = -1;
      else if (shape_elem_probe (imp, e, &tensor->int64_data[k]))
        ; /* the size at the declared input sizes */
      else
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "the target shape's value %u is a size known only when the graph runs "
                      "(dim %d of %s%s)", k, e->dim,
                      e->of == data ? "the input" : "another tensor",
                      e->expr ? ", computed" : e->divisor == 1 ? "" : ", divided");
          return NULL;
        }
    }
  return tensor;
}

gchar *
reshape_shape_text (NodeCtx *ctx, const Value *shape, const Value *data, const Value **ref,
                    GError **error)
{
  GArray *elems = shape->folded;
  *ref = NULL;
  for (guint k = 0; k < elems->len && *ref == NULL; k++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, k);
      if (e->of != NULL && e->of != data)
        *ref = e->of;
    }
  if (*ref == NULL)
    *ref = data;
  /* one size of yet another tensor, with no -1 beside it, is inferred */
  guint others = 0, inferred = 0;
  for (guint k = 0; k < elems->len; k++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, k);
      inferred += e->of == NULL && e->number == -1;
      others += e->of != NULL && e->of != *ref && !in_place (e, k, data);
    }
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint k = 0; k < elems->len; k++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, k);
      gint64 probe;
      const gchar *size = e->of == NULL || e->of == *ref ? elem_text (ctx->imp, e)
                        : in_place (e, k, data) ? "0"
                        : others == 1 && inferred == 0 ? "-1"
                        : shape_elem_probe (ctx->imp, e, &probe)
                          ? elem_text (ctx->imp, &(ShapeElem) { probe, NULL, 0, 1, NULL }) : NULL;
      if (size == NULL)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "the target shape's sizes known only when the graph runs come from more "
                      "than one other tensor (value %u: dim %d of another)", k, e->dim);
          return NULL;
        }
      g_string_append_printf (text, "%s%s", k ? "," : "", size);
    }
  if (*ref == data)
    *ref = NULL;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- Slice -------------------------------------------------------------- */

gchar *
shape_text (NodeCtx *ctx, const Value *shape, const Value *data, const gchar *source,
            GError **error)
{
  gboolean scalar;
  g_autoptr (GArray) elems = shape_elems (ctx->imp, shape, &scalar);
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint k = 0; elems != NULL && k < elems->len; k++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, k);
      ShapeElem probed = { 0, NULL, 0, 1, NULL };
      if (e->of != NULL && e->of != data && shape_elem_probe (ctx->imp, e, &probed.number))
        e = &probed; /* the size at the declared input sizes */
      if (e->of != NULL && e->of != data)
        {
          node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                      "%s: value %u is a size known only when the graph runs, of another "
                      "tensor than input 0", source, k);
          return NULL;
        }
      g_string_append_printf (text, "%s%s", k ? "," : "", elem_text (ctx->imp, e));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}
