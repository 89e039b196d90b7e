/* libvips peer for the edge benchmark: Sobel edges of every JPEG in a folder.
 *
 * For each input file, in one process, one file after another:
 *
 *   in   = vips_image_new_from_file (path, access = sequential)
 *   grey = vips_colourspace (in, B_W)
 *   sob  = vips_sobel (grey)
 *   out  = vips_cast (sob, uchar)
 *   vips_pngsave (out, OUTDIR/<stem>.png, compression = 1)
 *
 * libvips settings (thread pool size, operation cache) are left at their
 * defaults, as a user would write it.
 *
 * Build (run.sh does this into its work dir, never into the source tree):
 *   cc -O2 vips_edges.c $(pkg-config --cflags --libs vips) -o vips_edges
 *
 * Usage: vips_edges -o OUTDIR INPUTDIR
 */

#include <stdio.h>
#include <string.h>

#include <vips/vips.h>

static gboolean
is_jpeg_name (const char *name)
{
  return g_str_has_suffix (name, ".jpg") || g_str_has_suffix (name, ".jpeg") ||
         g_str_has_suffix (name, ".JPG") || g_str_has_suffix (name, ".JPEG");
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Returns 0 on success, -1 on error (message in the vips error buffer). */
static int
edges_one (const char *in_path, const char *out_path)
{
  VipsImage *in, *grey = NULL, *sobel = NULL, *out = NULL;
  int ret = -1;

  in = vips_image_new_from_file (in_path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (in == NULL)
    return -1;

  if (vips_colourspace (in, &grey, VIPS_INTERPRETATION_B_W, NULL) == 0 &&
      vips_sobel (grey, &sobel, NULL) == 0 &&
      vips_cast (sobel, &out, VIPS_FORMAT_UCHAR, NULL) == 0 &&
      vips_pngsave (out, out_path, "compression", 1, NULL) == 0)
    ret = 0;

  g_clear_object (&out);
  g_clear_object (&sobel);
  g_clear_object (&grey);
  g_object_unref (in);
  return ret;
}

int
main (int argc, char **argv)
{
  const char *out_dir = NULL, *in_dir = NULL;
  GPtrArray *names;
  GDir *dir;
  GError *error = NULL;
  const char *name;
  int failures = 0;

  if (VIPS_INIT (argv[0]))
    vips_error_exit (NULL);

  if (argc == 4 && strcmp (argv[1], "-o") == 0)
    {
      out_dir = argv[2];
      in_dir = argv[3];
    }
  else
    {
      fprintf (stderr, "usage: %s -o OUTDIR INPUTDIR\n", argv[0]);
      return 2;
    }

  dir = g_dir_open (in_dir, 0, &error);
  if (dir == NULL)
    {
      fprintf (stderr, "vips_edges: %s\n", error->message);
      return 1;
    }
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (is_jpeg_name (name))
      g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);

  if (names->len == 0)
    {
      fprintf (stderr, "vips_edges: no JPEG files in %s\n", in_dir);
      return 1;
    }
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      fprintf (stderr, "vips_edges: cannot create %s\n", out_dir);
      return 1;
    }

  for (guint i = 0; i < names->len; i++)
    {
      const char *file = g_ptr_array_index (names, i);
      char *stem = g_strndup (file, strrchr (file, '.') - file);
      char *png = g_strconcat (stem, ".png", NULL);
      char *in_path = g_build_filename (in_dir, file, NULL);
      char *out_path = g_build_filename (out_dir, png, NULL);

      if (edges_one (in_path, out_path) != 0)
        {
          fprintf (stderr, "vips_edges: %s: %s", in_path, vips_error_buffer ());
          vips_error_clear ();
          failures++;
        }

      g_free (out_path);
      g_free (in_path);
      g_free (png);
      g_free (stem);
    }

  g_ptr_array_unref (names);
  vips_shutdown ();
  return failures == 0 ? 0 : 1;
}
