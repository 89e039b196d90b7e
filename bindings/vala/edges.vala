/* edges.vala: edge maps of photos from Vala, through the generated
 * cnnfilt-1.0.vapi.
 *   edges OUT_DIR PHOTO...
 * SPDX-License-Identifier: LGPL-2.1-or-later */
int main (string[] args) {
    if (args.length < 3) {
        stderr.printf ("usage: %s OUT_DIR PHOTO...\n", args[0]);
        return 2;
    }
    try {
        var edges = new Cnnfilt.Graph.from_string ("grayscale ! sobel direction=magnitude ! normalize");
        DirUtils.create_with_parents (args[1], 0755);
        for (int i = 2; i < args.length; i++) {
            var image = Cnnfilt.image_load (args[i]);
            var result = edges.process (image);
            var name = Path.get_basename (args[i]);
            var dot = name.last_index_of (".");
            var path = Path.build_filename (args[1], (dot > 0 ? name.substring (0, dot) : name) + ".png");
            Cnnfilt.image_save (result, path);
            stdout.printf ("%s %ux%u\n", path, result.get_w (), result.get_h ());
        }
    } catch (Error e) {
        stderr.printf ("edges: %s\n", e.message);
        return 1;
    }
    return 0;
}
