/* cnnfilt-onnx-fold.c: nodes whose inputs are all constants, computed at import
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Exporters write computations on constants into the graph: Swin's
 * shifted-window attention mask is built from the input size with Range,
 * Mod, Slice, ScatterND (slice assignment), Equal, Not and Where; its
 * paddings from Shape with Mod, Sub, Concat, Slice with a negative step
 * and Transpose. Where every input of such a node is a constant (an
 * initializer, a Constant, a shape folded to numbers, or an earlier fold)
 * the node is computed here, numpy's way, on tensors of any rank up to
 * FOLD_MAX_RANK and at most FOLD_MAX_ELEMENTS values, and its output is a
 * constant of the importer like any initializer. Mod, Range, ScatterND,
 * Not, Less and Greater have no op: they import only this way. Anything a
 * fold cannot compute exactly as the ONNX spec says is refused, naming the
 * node.
 */
#include "cnnfilt-onnx-private.h"

#include <math.h>
#include <string.h>

/* memcpy of @bytes, none where there are none: an empty list's pointer
 * may be NULL, which memcpy must not get even for 0 bytes */
static inline void
copy_bytes (void *to, const void *from, gsize bytes)
{
  if (bytes > 0)
    memcpy (to, from, bytes);
}

/* 24 MB of Number: far above any shape computation or mask, far below
 * the weights that a Transpose of an initializer could hold (those are
 * left to the ops). */
#define FOLD_MAX_ELEMENTS (1 << 20)

#define T_FLOAT ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define T_DOUBLE ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
#define T_INT64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define T_INT32 ONNX__TENSOR_PROTO__DATA_TYPE__INT32
#define T_BOOL ONNX__TENSOR_PROTO__DATA_TYPE__BOOL

/* A tensor known at import. */
typedef struct {
  gint type; /* ONNX data type */
  gint rank;
  gint64 dims[FOLD_MAX_RANK];
  GArray *v; /* Number, row-major */
} Known;

static void
known_clear (Known *k)
{
  g_clear_pointer (&k->v, g_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Known, known_clear)

static gint64
known_count (gint rank, const gint64 *dims)
{
  gint64 n = 1;
  for (gint i = 0; i < rank; i++)
    n *= dims[i];
  return n;
}

static gboolean
is_float_type (gint type)
{
  return type == T_FLOAT || type == T_DOUBLE;
}

/* The value of the number @x as type @type holds it: float32 rounding,
 * integers truncated toward zero (a cast), bool 0 or 1. */
static Number
number_as (Number x, gint type)
{
  Number r = { TRUE, 0, 0 };
  gdouble f = x.is_int ? (gdouble) x.i : x.f;
  switch (type)
    {
    case T_FLOAT:
      r.is_int = FALSE;
      r.f = (gfloat) f;
      return r;
    case T_DOUBLE:
      r.is_int = FALSE;
      r.f = f;
      return r;
    case T_BOOL:
      r.i = x.is_int ? x.i != 0 : f != 0;
      break;
    case T_INT32: /* NaN: 0, as no integer is meant */
      r.i = x.is_int ? (gint32) x.i : isnan (f) ? 0 : (gint32) CLAMP (trunc (f), G_MININT32, G_MAXINT32);
      break;
    default:
      r.i = x.is_int ? x.i : isnan (f) ? 0 : (gint64) CLAMP (trunc (f), -9.2e18, 9.2e18);
      break;
    }
  r.f = r.i;
  return r;
}

static gboolean
known_new (Known *k, gint type, gint rank, const gint64 *dims, const gchar **why)
{
  k->type = type;
  k->rank = rank;
  gint64 n = 1;
  for (gint i = 0; i < rank; i++)
    {
      if (dims[i] < 0 || (dims[i] > 0 && n > FOLD_MAX_ELEMENTS / dims[i]))
        {
          *why = "its output would be larger than the importer computes";
          return FALSE;
        }
      k->dims[i] = dims[i];
      n *= dims[i];
    }
  if (rank > FOLD_MAX_RANK)
    {
      *why = "its output has more than 8 dims";
      return FALSE;
    }
  k->v = g_array_sized_new (FALSE, TRUE, sizeof (Number), n);
  g_array_set_size (k->v, n);
  return TRUE;
}

#define AT(k, i) (g_array_index ((k)->v, Number, (i)))

/* Input @i of the node as a Known; FALSE where it is absent. */
static gboolean
known_input (Importer *imp, const Onnx__NodeProto *proto, gsize i, Known *k)
{
  if (i >= proto->n_input || *proto->input[i] == '\0')
    return FALSE;
  const Value *value = g_hash_table_lookup (imp->values, proto->input[i]);
  const Onnx__TensorProto *t = value->constant;
  if (t == NULL) /* a shape, its sizes at the declared input sizes */
    {
      k->type = T_INT64;
      k->rank = value->rank;
      k->dims[0] = value->folded->len;
      k->v = g_array_new (FALSE, TRUE, sizeof (Number));
      for (guint e = 0; e < value->folded->len; e++)
        {
          Number n = { TRUE, 0, 0 };
          shape_elem_probe (imp, &g_array_index (value->folded, ShapeElem, e), &n.i);
          n.f = n.i;
          g_array_append_val (k->v, n);
        }
      return TRUE;
    }
  k->type = t->data_type;
  k->rank = t->n_dims;
  for (gsize d = 0; d < t->n_dims; d++)
    k->dims[d] = t->dims[d];
  k->v = tensor_numbers (imp, t);
  return TRUE;
}

/* The integers of a Known (a list of axes, a shape …). */
static gboolean
known_ints (const Known *k, gint64 *out, gint max, gint *n)
{
  if (k->rank > 1 || is_float_type (k->type) || (gint) k->v->len > max)
    return FALSE;
  *n = k->v->len;
  for (guint i = 0; i < k->v->len; i++)
    out[i] = AT (k, i).i;
  return TRUE;
}

/* ---- Broadcasting -------------------------------------------------------- */

/* The numpy broadcast of the shapes of @n tensors; FALSE where they do not
 * broadcast. */
static gboolean
broadcast_dims (const Known *const *in, guint n, gint *rank, gint64 *dims)
{
  *rank = 0;
  for (guint j = 0; j < n; j++)
    *rank = MAX (*rank, in[j]->rank);
  for (gint d = 0; d < *rank; d++)
    {
      dims[d] = 1;
      for (guint j = 0; j < n; j++)
        {
          gint e = d - (*rank - in[j]->rank);
          gint64 size = e >= 0 ? in[j]->dims[e] : 1;
          if (size != 1 && dims[d] != 1 && size != dims[d])
            return FALSE;
          if (size != 1)
            dims[d] = size;
        }
    }
  return TRUE;
}

/* The index into @k of element @o of a broadcast output of @rank and @dims. */
static gint64
broadcast_index (const Known *k, gint rank, const gint64 *dims, gint64 o)
{
  gint64 index = 0, stride = 1;
  for (gint d = rank - 1; d >= 0; d--)
    {
      gint64 coord = o % dims[d];
      o /= dims[d];
      gint e = d - (rank - k->rank);
      if (e >= 0)
        {
          if (k->dims[e] != 1)
            index += coord * stride;
          stride *= k->dims[e];
        }
    }
  return index;
}

/* ---- Element-wise ------------------------------------------------------- */

typedef gboolean (*NumberOp) (const Onnx__NodeProto *proto, const Number *a, const Number *b,
                              Number *r, const gchar **why);

static gboolean
op_arith (const Onnx__NodeProto *proto, const Number *a, const Number *b, Number *r,
          const gchar **why)
{
  const gchar *op = proto->op_type;
  if (a->is_int && b->is_int && !g_str_equal (op, "Pow"))
    {
      gboolean overflow = FALSE;
      r->is_int = TRUE;
      if (g_str_equal (op, "Add"))
        overflow = __builtin_add_overflow (a->i, b->i, &r->i);
      else if (g_str_equal (op, "Sub"))
        overflow = __builtin_sub_overflow (a->i, b->i, &r->i);
      else if (g_str_equal (op, "Mul"))
        overflow = __builtin_mul_overflow (a->i, b->i, &r->i);
      else if (b->i == 0 || (a->i == G_MININT64 && b->i == -1))
        {
          *why = "it divides an integer by zero";
          return FALSE;
        }
      else if (g_str_equal (op, "Div"))
        r->i = a->i / b->i; /* truncating, as C and ONNX Runtime */
      else /* Mod */
        {
          r->i = a->i % b->i;
          /* fmod 0: the sign of the divisor, as Python's % */
          if (int_attribute (proto, "fmod", 0, NULL) == 0 && r->i != 0 && (r->i < 0) != (b->i < 0))
            r->i += b->i;
        }
      if (overflow)
        {
          *why = "a value is out of 64-bit range";
          return FALSE;
        }
      return TRUE;
    }
  gdouble x = a->is_int ? a->i : a->f, y = b->is_int ? b->i : b->f;
  r->is_int = FALSE;
  if (g_str_equal (op, "Add"))
    r->f = x + y;
  else if (g_str_equal (op, "Sub"))
    r->f = x - y;
  else if (g_str_equal (op, "Mul"))
    r->f = x * y;
  else if (g_str_equal (op, "Div"))
    r->f = x / y;
  else if (g_str_equal (op, "Pow"))
    r->f = pow (x, y);
  else if (int_attribute (proto, "fmod", 0, NULL) == 0)
    {
      *why = "Mod of floating-point values needs fmod=1";
      return FALSE;
    }
  else
    r->f = fmod (x, y);
  return TRUE;
}

static gboolean
op_compare (const Onnx__NodeProto *proto, const Number *a, const Number *b, Number *r,
            const gchar **why)
{
  const gchar *op = proto->op_type;
  gboolean ints = a->is_int && b->is_int;
  r->is_int = TRUE;
  if (g_str_equal (op, "Equal"))
    r->i = ints ? a->i == b->i : a->f == b->f;
  else if (g_str_equal (op, "Less"))
    r->i = ints ? a->i < b->i : a->f < b->f;
  else
    r->i = ints ? a->i > b->i : a->f > b->f;
  return TRUE;
}

/* A binary op, numpy-style broadcast. */
static gboolean
fold_binary (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 }, b = { 0 };
  if (!known_input (imp, proto, 0, &a) || !known_input (imp, proto, 1, &b))
    {
      *why = "it needs two inputs";
      return FALSE;
    }
  const gchar *op = proto->op_type;
  gboolean compare = g_str_equal (op, "Equal") || g_str_equal (op, "Less") ||
                     g_str_equal (op, "Greater");
  if (is_float_type (a.type) != is_float_type (b.type))
    {
      *why = "its inputs are of different types";
      return FALSE;
    }
  const Known *in[] = { &a, &b };
  gint rank;
  gint64 dims[FOLD_MAX_RANK];
  if (!broadcast_dims (in, 2, &rank, dims))
    {
      *why = "its inputs do not broadcast";
      return FALSE;
    }
  if (!known_new (out, compare ? T_BOOL : a.type, rank, dims, why))
    return FALSE;
  NumberOp fn = compare ? op_compare : op_arith;
  for (guint o = 0; o < out->v->len; o++)
    {
      Number r = { TRUE, 0, 0 };
      if (!fn (proto, &AT (&a, broadcast_index (&a, rank, dims, o)),
               &AT (&b, broadcast_index (&b, rank, dims, o)), &r, why))
        return FALSE;
      AT (out, o) = number_as (r, out->type);
    }
  return TRUE;
}

static gboolean
fold_not (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 };
  known_input (imp, proto, 0, &a);
  if (a.type != T_BOOL)
    {
      *why = "its input is not bool";
      return FALSE;
    }
  if (!known_new (out, T_BOOL, a.rank, a.dims, why))
    return FALSE;
  for (guint o = 0; o < out->v->len; o++)
    AT (out, o) = number_as ((Number) { TRUE, !AT (&a, o).i, 0 }, T_BOOL);
  return TRUE;
}

static gboolean
fold_where (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) c = { 0 }, a = { 0 }, b = { 0 };
  if (!known_input (imp, proto, 0, &c) || !known_input (imp, proto, 1, &a) ||
      !known_input (imp, proto, 2, &b) || a.type != b.type)
    {
      *why = "it needs a condition and two inputs of one type";
      return FALSE;
    }
  const Known *in[] = { &c, &a, &b };
  gint rank;
  gint64 dims[FOLD_MAX_RANK];
  if (!broadcast_dims (in, 3, &rank, dims))
    {
      *why = "its inputs do not broadcast";
      return FALSE;
    }
  if (!known_new (out, a.type, rank, dims, why))
    return FALSE;
  for (guint o = 0; o < out->v->len; o++)
    AT (out, o) = AT (&c, broadcast_index (&c, rank, dims, o)).i
                      ? AT (&a, broadcast_index (&a, rank, dims, o))
                      : AT (&b, broadcast_index (&b, rank, dims, o));
  return TRUE;
}

static gboolean
fold_cast (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 };
  known_input (imp, proto, 0, &a);
  gint64 to = int_attribute (proto, "to", 0, NULL);
  if (to != T_FLOAT && to != T_DOUBLE && to != T_INT64 && to != T_INT32 && to != T_BOOL)
    {
      *why = "it casts to a type other than float, double, int64, int32 or bool";
      return FALSE;
    }
  if (!known_new (out, (gint) to, a.rank, a.dims, why))
    return FALSE;
  for (guint o = 0; o < out->v->len; o++)
    AT (out, o) = number_as (AT (&a, o), out->type);
  return TRUE;
}

/* ---- Shapes and layouts ------------------------------------------------- */

static gboolean
fold_shape (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 };
  known_input (imp, proto, 0, &a);
  gboolean given = FALSE;
  gint64 r = a.rank, start = int_attribute (proto, "start", 0, NULL);
  gint64 end = int_attribute (proto, "end", r, &given);
  start = CLAMP (start < 0 ? start + r : start, 0, r);
  end = CLAMP (end < 0 ? end + r : end, 0, r);
  gint64 n = MAX (end - start, 0);
  if (!known_new (out, T_INT64, 1, &n, why))
    return FALSE;
  for (gint64 i = 0; i < n; i++)
    AT (out, i) = (Number) { TRUE, a.dims[start + i], a.dims[start + i] };
  return TRUE;
}

/* Axes of Unsqueeze/Squeeze (an attribute before opset 13, input 1 after),
 * each made non-negative for @rank; *@n 0 where none are given. */
static gboolean
fold_axes (Importer *imp, const Onnx__NodeProto *proto, const gchar *name, gsize input,
           gint rank, gint64 *axes, gint *n, const gchar **why)
{
  *n = 0;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, name) == 0)
      {
        if (proto->attribute[i]->n_ints > FOLD_MAX_RANK)
          break;
        *n = proto->attribute[i]->n_ints;
        copy_bytes (axes, proto->attribute[i]->ints, *n * sizeof (gint64));
      }
  g_auto (Known) k = { 0 };
  if (known_input (imp, proto, input, &k) && !known_ints (&k, axes, FOLD_MAX_RANK, n))
    {
      *why = "its axes are not a list of integers";
      return FALSE;
    }
  for (gint i = 0; i < *n; i++)
    {
      if (axes[i] < -rank || axes[i] >= rank)
        {
          *why = "an axis is out of range";
          return FALSE;
        }
      axes[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
    }
  return TRUE;
}

/* Unsqueeze, Squeeze, Reshape and Flatten: the same values, new dims. */
static gboolean
fold_reshape_like (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 };
  known_input (imp, proto, 0, &a);
  const gchar *op = proto->op_type;
  gint64 dims[FOLD_MAX_RANK], axes[FOLD_MAX_RANK];
  gint rank = 0, n_axes;
  if (g_str_equal (op, "Unsqueeze"))
    {
      gint64 given[FOLD_MAX_RANK];
      gint n_given;
      if (!fold_axes (imp, proto, "axes", 1, FOLD_MAX_RANK, given, &n_given, why))
        return FALSE;
      rank = a.rank + n_given;
      if (n_given == 0 || rank > FOLD_MAX_RANK)
        {
          *why = "it has no axes, or makes more than 8 dims";
          return FALSE;
        }
      /* the axes count in the output's rank */
      if (!fold_axes (imp, proto, "axes", 1, rank, axes, &n_axes, why))
        return FALSE;
      guint64 mask = 0;
      for (gint i = 0; i < n_axes; i++)
        mask |= G_GUINT64_CONSTANT (1) << axes[i];
      if (__builtin_popcountll (mask) != n_axes)
        {
          *why = "an axis is given twice";
          return FALSE;
        }
      for (gint d = 0, from = 0; d < rank; d++)
        dims[d] = mask & (G_GUINT64_CONSTANT (1) << d) ? 1 : a.dims[from++];
    }
  else if (g_str_equal (op, "Squeeze"))
    {
      if (!fold_axes (imp, proto, "axes", 1, a.rank, axes, &n_axes, why))
        return FALSE;
      guint64 mask = 0;
      for (gint i = 0; i < n_axes; i++)
        mask |= G_GUINT64_CONSTANT (1) << axes[i];
      for (gint d = 0; d < a.rank; d++)
        {
          gboolean drop = n_axes ? (mask >> d) & 1 : a.dims[d] == 1;
          if (drop && a.dims[d] != 1)
            {
              *why = "it squeezes a dim that is not 1";
              return FALSE;
            }
          if (!drop)
            dims[rank++] = a.dims[d];
        }
    }
  else if (g_str_equal (op, "Flatten"))
    {
      gint64 axis = int_attribute (proto, "axis", 1, NULL);
      axis = axis < 0 ? axis + a.rank : axis;
      if (axis < 0 || axis > a.rank)
        {
          *why = "its axis is out of range";
          return FALSE;
        }
      rank = 2;
      dims[0] = known_count ((gint) axis, a.dims);
      dims[1] = known_count (a.rank - (gint) axis, a.dims + axis);
    }
  else /* Reshape */
    {
      g_auto (Known) shape = { 0 };
      if (!known_input (imp, proto, 1, &shape) || !known_ints (&shape, dims, FOLD_MAX_RANK, &rank))
        {
          *why = "its shape is not a list of at most 8 integers";
          return FALSE;
        }
      gboolean allow_zero = int_attribute (proto, "allowzero", 0, NULL) != 0;
      gint infer = -1;
      gint64 known = 1;
      for (gint d = 0; d < rank; d++)
        {
          if (dims[d] == 0 && !allow_zero)
            {
              if (d >= a.rank)
                {
                  *why = "a 0 in its shape copies a dim the input lacks";
                  return FALSE;
                }
              dims[d] = a.dims[d];
            }
          if (dims[d] == -1 && infer < 0)
            infer = d;
          else if (dims[d] < 0 || __builtin_mul_overflow (known, dims[d], &known))
            {
              *why = "its shape has a negative size other than one -1, or sizes too large";
              return FALSE;
            }
        }
      if (infer >= 0)
        dims[infer] = known > 0 ? (gint64) a.v->len / known : 0;
    }
  if (known_count (rank, dims) != (gint64) a.v->len)
    {
      *why = "its output would not hold the values of its input";
      return FALSE;
    }
  if (!known_new (out, a.type, rank, dims, why))
    return FALSE;
  copy_bytes (out->v->data, a.v->data, a.v->len * sizeof (Number));
  return TRUE;
}

/* Row-major strides of @k. */
static void
known_strides (const Known *k, gint64 *strides)
{
  gint64 s = 1;
  for (gint d = k->rank - 1; d >= 0; d--)
    {
      strides[d] = s;
      s *= k->dims[d];
    }
}

static gboolean
fold_transpose (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 };
  known_input (imp, proto, 0, &a);
  gint64 perm[FOLD_MAX_RANK], dims[FOLD_MAX_RANK], strides[FOLD_MAX_RANK];
  gint n = 0;
  guint seen = 0;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "perm") == 0 &&
        proto->attribute[i]->n_ints <= FOLD_MAX_RANK)
      {
        n = proto->attribute[i]->n_ints;
        copy_bytes (perm, proto->attribute[i]->ints, n * sizeof (gint64));
      }
  if (n == 0)
    for (n = 0; n < a.rank; n++)
      perm[n] = a.rank - 1 - n;
  for (gint d = 0; d < n; d++)
    {
      if (n != a.rank || perm[d] < 0 || perm[d] >= a.rank || (seen >> perm[d]) & 1)
        {
          *why = "its perm is not a permutation of the input's dims";
          return FALSE;
        }
      seen |= 1u << perm[d];
      dims[d] = a.dims[perm[d]];
    }
  if (!known_new (out, a.type, a.rank, dims, why))
    return FALSE;
  known_strides (&a, strides);
  for (guint o = 0; o < out->v->len; o++)
    {
      gint64 rest = o, index = 0;
      for (gint d = a.rank - 1; d >= 0; d--)
        {
          index += (rest % dims[d]) * strides[perm[d]];
          rest /= dims[d];
        }
      AT (out, o) = AT (&a, index);
    }
  return TRUE;
}

static gboolean
fold_concat (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) first = { 0 };
  known_input (imp, proto, 0, &first);
  gint64 axis = int_attribute (proto, "axis", imp->opset < 4 ? 1 : 0, NULL);
  axis = axis < 0 ? axis + first.rank : axis;
  if (axis < 0 || axis >= first.rank)
    {
      *why = "its axis is out of range";
      return FALSE;
    }
  gint64 dims[FOLD_MAX_RANK];
  copy_bytes (dims, first.dims, sizeof dims);
  dims[axis] = 0;
  Known *parts = g_new0 (Known, proto->n_input);
  gboolean ok = TRUE;
  for (gsize i = 0; i < proto->n_input && ok; i++)
    {
      ok = known_input (imp, proto, i, &parts[i]) && parts[i].rank == first.rank &&
           parts[i].type == first.type;
      for (gint d = 0; d < first.rank && ok; d++)
        ok = d == axis || parts[i].dims[d] == first.dims[d];
      if (ok)
        dims[axis] += parts[i].dims[axis];
    }
  if (!ok)
    *why = "its inputs differ in rank, type or a dim other than the axis";
  else
    ok = known_new (out, first.type, first.rank, dims, why);
  /* row-major: blocks of (dims after axis · part's axis) per outer index */
  gint64 outer = known_count ((gint) axis, dims), inner = known_count (first.rank - (gint) axis - 1, dims + axis + 1);
  guint o = 0;
  for (gint64 i = 0; i < outer && ok; i++)
    for (gsize p = 0; p < proto->n_input; p++)
      {
        gint64 block = parts[p].dims[axis] * inner;
        copy_bytes (&AT (out, o), &AT (&parts[p], i * block), block * sizeof (Number));
        o += block;
      }
  for (gsize i = 0; i < proto->n_input; i++)
    known_clear (&parts[i]);
  g_free (parts);
  return ok;
}

static gboolean
fold_gather (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 }, idx = { 0 };
  if (!known_input (imp, proto, 0, &a) || !known_input (imp, proto, 1, &idx) ||
      is_float_type (idx.type))
    {
      *why = "its indices are not integers";
      return FALSE;
    }
  gint64 axis = int_attribute (proto, "axis", 0, NULL);
  axis = axis < 0 ? axis + a.rank : axis;
  gint rank = a.rank - 1 + idx.rank;
  if (axis < 0 || axis >= a.rank || rank > FOLD_MAX_RANK)
    {
      *why = "its axis is out of range";
      return FALSE;
    }
  gint64 dims[FOLD_MAX_RANK];
  copy_bytes (dims, a.dims, axis * sizeof (gint64));
  copy_bytes (dims + axis, idx.dims, idx.rank * sizeof (gint64));
  copy_bytes (dims + axis + idx.rank, a.dims + axis + 1, (a.rank - axis - 1) * sizeof (gint64));
  if (!known_new (out, a.type, rank, dims, why))
    return FALSE;
  gint64 outer = known_count ((gint) axis, a.dims), inner = known_count (a.rank - (gint) axis - 1, a.dims + axis + 1);
  gint64 size = a.dims[axis];
  guint o = 0;
  for (gint64 i = 0; i < outer; i++)
    for (guint j = 0; j < idx.v->len; j++)
      {
        gint64 k = AT (&idx, j).i;
        k = k < 0 ? k + size : k;
        if (k < 0 || k >= size)
          {
            *why = "an index is out of range";
            return FALSE;
          }
        copy_bytes (&AT (out, o), &AT (&a, (i * size + k) * inner), inner * sizeof (Number));
        o += inner;
      }
  return TRUE;
}

static gboolean
fold_slice (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) a = { 0 };
  known_input (imp, proto, 0, &a);
  gint64 starts[FOLD_MAX_RANK], ends[FOLD_MAX_RANK], axes[FOLD_MAX_RANK], steps[FOLD_MAX_RANK];
  gint n_starts = 0, n_ends = 0, n_axes = -1, n_steps = -1;
  if (imp->opset < 10)
    {
      for (gsize i = 0; i < proto->n_attribute; i++)
        {
          const Onnx__AttributeProto *attr = proto->attribute[i];
          gint64 *to = g_str_equal (attr->name, "starts") ? starts
                     : g_str_equal (attr->name, "ends") ? ends
                     : g_str_equal (attr->name, "axes") ? axes : NULL;
          gint *n = to == starts ? &n_starts : to == ends ? &n_ends : &n_axes;
          if (to == NULL || attr->n_ints > FOLD_MAX_RANK)
            continue;
          *n = attr->n_ints;
          copy_bytes (to, attr->ints, attr->n_ints * sizeof (gint64));
        }
    }
  else
    {
      g_auto (Known) ks = { 0 }, ke = { 0 }, ka = { 0 }, kp = { 0 };
      gboolean ok = known_input (imp, proto, 1, &ks) && known_input (imp, proto, 2, &ke) &&
                    known_ints (&ks, starts, FOLD_MAX_RANK, &n_starts) &&
                    known_ints (&ke, ends, FOLD_MAX_RANK, &n_ends);
      if (ok && known_input (imp, proto, 3, &ka))
        ok = known_ints (&ka, axes, FOLD_MAX_RANK, &n_axes);
      if (ok && known_input (imp, proto, 4, &kp))
        ok = known_ints (&kp, steps, FOLD_MAX_RANK, &n_steps);
      if (!ok)
        {
          *why = "its starts, ends, axes or steps are not lists of integers";
          return FALSE;
        }
    }
  if (n_axes < 0)
    for (n_axes = 0; n_axes < n_starts; n_axes++)
      axes[n_axes] = n_axes;
  if (n_steps < 0)
    for (n_steps = 0; n_steps < n_starts; n_steps++)
      steps[n_steps] = 1;
  if (n_starts != n_ends || n_axes != n_starts || n_steps != n_starts)
    {
      *why = "its starts, ends, axes and steps differ in length";
      return FALSE;
    }
  gint64 first[FOLD_MAX_RANK], step[FOLD_MAX_RANK], dims[FOLD_MAX_RANK], strides[FOLD_MAX_RANK];
  for (gint d = 0; d < a.rank; d++)
    {
      first[d] = 0;
      step[d] = 1;
      dims[d] = a.dims[d];
    }
  for (gint i = 0; i < n_axes; i++)
    {
      gint64 d = axes[i] < 0 ? axes[i] + a.rank : axes[i], size;
      if (d < 0 || d >= a.rank || steps[i] == 0 || steps[i] == G_MININT64)
        {
          *why = "an axis is out of range, or a step is 0 or -2^63";
          return FALSE;
        }
      size = a.dims[d];
      /* the spec's clamping: [0, size] going forward, [-1, size-1] back */
      gint64 s = starts[i] < 0 ? starts[i] + size : starts[i];
      gint64 e = ends[i] < 0 ? (ends[i] < G_MININT64 / 2 ? -1 : ends[i] + size) : ends[i];
      if (steps[i] > 0)
        {
          s = CLAMP (s, 0, size);
          e = CLAMP (e, 0, size);
          dims[d] = e > s ? (e - s - 1) / steps[i] + 1 : 0;
        }
      else
        {
          s = CLAMP (s, -1, size - 1);
          e = CLAMP (e, -1, size - 1);
          dims[d] = s > e ? (s - e - 1) / (-steps[i]) + 1 : 0;
        }
      first[d] = s;
      step[d] = steps[i];
    }
  if (!known_new (out, a.type, a.rank, dims, why))
    return FALSE;
  known_strides (&a, strides);
  for (guint o = 0; o < out->v->len; o++)
    {
      gint64 rest = o, index = 0;
      for (gint d = a.rank - 1; d >= 0; d--)
        {
          index += (first[d] + (rest % dims[d]) * step[d]) * strides[d];
          rest /= dims[d];
        }
      AT (out, o) = AT (&a, index);
    }
  return TRUE;
}

/* ConstantOfShape and Expand: a value spread to a shape. */
static gboolean
fold_spread (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) shape = { 0 }, value = { 0 };
  gint64 dims[FOLD_MAX_RANK];
  gint rank;
  gboolean expand = g_str_equal (proto->op_type, "Expand");
  if (!known_input (imp, proto, expand ? 1 : 0, &shape) ||
      !known_ints (&shape, dims, FOLD_MAX_RANK, &rank))
    {
      *why = "its shape is not a list of at most 8 integers";
      return FALSE;
    }
  if (expand)
    known_input (imp, proto, 0, &value);
  else
    {
      const Onnx__TensorProto *t = NULL;
      for (gsize i = 0; i < proto->n_attribute; i++)
        if (g_strcmp0 (proto->attribute[i]->name, "value") == 0)
          t = proto->attribute[i]->t;
      value.type = t ? t->data_type : T_FLOAT;
      value.rank = 0;
      value.v = t ? tensor_numbers (imp, t) : g_array_new (FALSE, TRUE, sizeof (Number));
      if (t == NULL)
        g_array_append_val (value.v, ((Number) { FALSE, 0, 0 }));
      if (value.v->len != 1)
        {
          *why = "its value is not one number";
          return FALSE;
        }
    }
  /* Expand broadcasts both ways; ConstantOfShape's target is the shape */
  Known target = { 0, rank, { 0 }, NULL };
  copy_bytes (target.dims, dims, sizeof dims);
  const Known *in[] = { &value, &target };
  for (gint d = 0; d < rank; d++)
    if (dims[d] < 0)
      {
        *why = "its shape has a negative size";
        return FALSE;
      }
  if (expand && !broadcast_dims (in, 2, &rank, dims))
    {
      *why = "its input does not broadcast to the shape";
      return FALSE;
    }
  if (!known_new (out, value.type, rank, dims, why))
    return FALSE;
  for (guint o = 0; o < out->v->len; o++)
    AT (out, o) = AT (&value, expand ? broadcast_index (&value, rank, dims, o) : 0);
  return TRUE;
}

static gboolean
fold_range (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) s = { 0 }, l = { 0 }, d = { 0 };
  if (!known_input (imp, proto, 0, &s) || !known_input (imp, proto, 1, &l) ||
      !known_input (imp, proto, 2, &d) || s.v->len != 1 || l.v->len != 1 || d.v->len != 1 ||
      s.type != l.type || s.type != d.type)
    {
      *why = "its start, limit and delta are not three scalars of one type";
      return FALSE;
    }
  Number start = AT (&s, 0), limit = AT (&l, 0), delta = AT (&d, 0);
  gdouble count = start.is_int ? ceil (((gdouble) limit.i - start.i) / delta.i)
                               : ceil ((limit.f - start.f) / delta.f);
  if ((start.is_int ? delta.i == 0 : delta.f == 0) || !(count < FOLD_MAX_ELEMENTS + 1.0))
    {
      *why = "its delta is 0, or it makes too many values";
      return FALSE;
    }
  gint64 n = MAX ((gint64) count, 0);
  if (!known_new (out, s.type, 1, &n, why))
    return FALSE;
  for (gint64 i = 0; i < n; i++)
    {
      Number r = { start.is_int, 0, start.f + i * delta.f };
      if (start.is_int && (__builtin_mul_overflow (i, delta.i, &r.i) ||
                           __builtin_add_overflow (r.i, start.i, &r.i)))
        {
          *why = "a value is out of 64-bit range";
          return FALSE;
        }
      AT (out, i) = number_as (r, s.type);
    }
  return TRUE;
}

static gboolean
fold_scatter_nd (Importer *imp, const Onnx__NodeProto *proto, Known *out, const gchar **why)
{
  g_auto (Known) data = { 0 }, idx = { 0 }, upd = { 0 };
  const Onnx__AttributeProto *reduction = NULL;
  for (gsize i = 0; i < proto->n_attribute; i++)
    if (g_strcmp0 (proto->attribute[i]->name, "reduction") == 0)
      reduction = proto->attribute[i];
  if (reduction != NULL && (reduction->s.len != 4 || memcmp (reduction->s.data, "none", 4) != 0))
    {
      *why = "only reduction 'none' is supported";
      return FALSE;
    }
  if (!known_input (imp, proto, 0, &data) || !known_input (imp, proto, 1, &idx) ||
      !known_input (imp, proto, 2, &upd) || is_float_type (idx.type) || idx.rank < 1 ||
      upd.type != data.type)
    {
      *why = "it needs data, integer indices and updates of the data's type";
      return FALSE;
    }
  gint64 k = idx.dims[idx.rank - 1];
  /* updates: indices' dims but the last, then the data's dims after k */
  gint64 want[2 * FOLD_MAX_RANK];
  gint n_want = 0;
  for (gint d = 0; d < idx.rank - 1; d++)
    want[n_want++] = idx.dims[d];
  for (gint64 d = k; d < data.rank; d++)
    want[n_want++] = data.dims[d];
  gboolean ok = k >= 1 && k <= data.rank && upd.rank == n_want;
  for (gint d = 0; d < n_want && ok; d++)
    ok = upd.dims[d] == want[d];
  if (!ok)
    {
      *why = "its indices and updates do not match the data's shape";
      return FALSE;
    }
  if (!known_new (out, data.type, data.rank, data.dims, why))
    return FALSE;
  copy_bytes (out->v->data, data.v->data, data.v->len * sizeof (Number));
  gint64 strides[FOLD_MAX_RANK], slice = known_count (data.rank - (gint) k, data.dims + k);
  known_strides (&data, strides);
  for (gint64 i = 0; i < (gint64) idx.v->len / k; i++)
    {
      gint64 offset = 0;
      for (gint64 j = 0; j < k; j++)
        {
          gint64 c = AT (&idx, i * k + j).i;
          c = c < 0 ? c + data.dims[j] : c;
          if (c < 0 || c >= data.dims[j])
            {
              *why = "an index is out of range";
              return FALSE;
            }
          offset += c * strides[j];
        }
      copy_bytes (&AT (out, offset), &AT (&upd, i * slice), slice * sizeof (Number));
    }
  return TRUE;
}

/* ---- The folder --------------------------------------------------------- */

typedef gboolean (*FoldFunc) (Importer *imp, const Onnx__NodeProto *proto, Known *out,
                              const gchar **why);

static const struct {
  const gchar *op_type;
  FoldFunc fold;
  gboolean fold_only; /* no op: imported only when its inputs are constants */
} folds[] = {
  { "Add", fold_binary, FALSE },       { "Sub", fold_binary, FALSE },
  { "Mul", fold_binary, FALSE },       { "Div", fold_binary, FALSE },
  { "Pow", fold_binary, FALSE },       { "Mod", fold_binary, TRUE },
  { "Equal", fold_binary, FALSE },     { "Less", fold_binary, TRUE },
  { "Greater", fold_binary, TRUE },    { "Not", fold_not, TRUE },
  { "Where", fold_where, FALSE },      { "Cast", fold_cast, FALSE },
  { "Shape", fold_shape, FALSE },      { "Unsqueeze", fold_reshape_like, FALSE },
  { "Squeeze", fold_reshape_like, FALSE }, { "Reshape", fold_reshape_like, FALSE },
  { "Flatten", fold_reshape_like, FALSE }, { "Transpose", fold_transpose, FALSE },
  { "Concat", fold_concat, FALSE },    { "Gather", fold_gather, FALSE },
  { "Slice", fold_slice, FALSE },      { "ConstantOfShape", fold_spread, FALSE },
  { "Expand", fold_spread, FALSE },    { "Range", fold_range, TRUE },
  { "ScatterND", fold_scatter_nd, TRUE },
};

static FoldFunc
fold_of (const gchar *op_type, gboolean *fold_only)
{
  for (guint i = 0; i < G_N_ELEMENTS (folds); i++)
    if (g_str_equal (folds[i].op_type, op_type))
      {
        if (fold_only)
          *fold_only = folds[i].fold_only;
        return folds[i].fold;
      }
  return NULL;
}

gboolean
is_fold_only_op (const gchar *op_type)
{
  gboolean only = FALSE;
  return fold_of (op_type, &only) != NULL && only;
}

/* Whether @value is a shape whose every size has a probe. */
static gboolean
probed_shape (Importer *imp, const Value *value)
{
  if (value->folded == NULL)
    return FALSE;
  gint64 number;
  for (guint e = 0; e < value->folded->len; e++)
    if (!shape_elem_peek (imp, &g_array_index (value->folded, ShapeElem, e), &number))
      return FALSE;
  return TRUE;
}

gboolean
is_constant_fold (Importer *imp, const Onnx__NodeProto *proto, gboolean probes)
{
  /* every fold reads input 0 */
  if (fold_of (nonnull (proto->op_type), NULL) == NULL || proto->n_input == 0 ||
      *proto->input[0] == '\0')
    return FALSE;
  for (gsize i = 0; i < proto->n_input; i++)
    {
      if (*proto->input[i] == '\0')
        continue;
      const Value *value = g_hash_table_lookup (imp->values, proto->input[i]);
      if (value != NULL && value->constant == NULL && probes && probed_shape (imp, value))
        continue;
      if (value == NULL || value->constant == NULL ||
          tensor_n_elements (value->constant) > FOLD_MAX_ELEMENTS ||
          value->constant->n_dims > FOLD_MAX_RANK)
        return FALSE;
    }
  return TRUE;
}

/* The importer's tensor that holds @k. */
static Onnx__TensorProto *
known_to_tensor (Importer *imp, const Known *k)
{
  Onnx__TensorProto *t = g_new0 (Onnx__TensorProto, 1);
  onnx__tensor_proto__init (t);
  g_ptr_array_add (imp->synthetic, t);
  t->has_data_type = TRUE;
  t->data_type = k->type;
  t->n_dims = k->rank;
  t->dims = g_new (int64_t, MAX (k->rank, 1));
  copy_bytes (t->dims, k->dims, k->rank * sizeof (gint64));
  gsize n = k->v->len;
  /* the values in the tensor's field of their type, owned by the importer */
#define FILL(count, field, ctype, member)                                      \
  do                                                                           \
    {                                                                          \
      t->count = n;                                                            \
      t->field = g_new (ctype, MAX (n, 1));                                    \
      g_ptr_array_add (imp->owned, t->field);                                  \
      for (gsize i = 0; i < n; i++)                                            \
        t->field[i] = (ctype) AT (k, i).member;                                \
    }                                                                          \
  while (0)
  switch (k->type)
    {
    case T_FLOAT:
      FILL (n_float_data, float_data, gfloat, f);
      break;
    case T_DOUBLE:
      FILL (n_double_data, double_data, gdouble, f);
      break;
    case T_INT64:
      FILL (n_int64_data, int64_data, int64_t, i);
      break;
    default: /* INT32, BOOL */
      FILL (n_int32_data, int32_data, int32_t, i);
      break;
    }
#undef FILL
  return t;
}

gboolean
fold_constant_node (NodeCtx *ctx, GError **error)
{
  Importer *imp = ctx->imp;
  const Onnx__NodeProto *proto = ctx->proto;
  FoldFunc fold = fold_of (proto->op_type, NULL);
  g_auto (Known) out = { 0 };
  const gchar *why = NULL;
  if (!fold (imp, proto, &out, &why))
    {
      node_error (error, ctx, CNNFILT_ERROR_UNSUPPORTED,
                  "its inputs are constants, computed at import, but %s",
                  why ? why : "it cannot be computed");
      return FALSE;
    }
  Value *value = add_value (imp, proto->output[0]);
  value->constant = known_to_tensor (imp, &out);
  value->rank = out.rank;
  for (gint d = 0; d < MIN (out.rank, MAX_RANK); d++)
    value->dims[d] = out.dims[d];
  /* a list of integers is also a shape, for the folds of cnnfilt-onnx-shape.c */
  if (!is_float_type (out.type) && out.rank <= 1)
    {
      value->folded = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
      for (guint i = 0; i < out.v->len; i++)
        {
          ShapeElem e = { AT (&out, i).i, NULL, 0, 1, NULL };
          g_array_append_val (value->folded, e);
        }
    }
  return TRUE;
}
