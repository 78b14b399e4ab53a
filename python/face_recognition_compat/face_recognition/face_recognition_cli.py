"""face_recognition_cli: the `face_recognition` command: who, of the people in a folder of known faces, is in each image to check."""

import itertools
import multiprocessing
import os
import re

import click

import face_recognition.api as face_recognition

from ._resize import thumbnail

# images bigger than this on a side are shrunk first (as face_recognition does), for speed
_MAX_SIDE = 1600


def image_files_in_folder(folder):
    """The .jpg, .jpeg and .png files in folder (any case), as paths."""
    return [os.path.join(folder, f) for f in os.listdir(folder) if re.match(r'.*\.(jpg|jpeg|png)', f, flags=re.I)]


def scan_known_people(known_people_folder):
    """The names (file names without extension) and first face encodings of the known people."""
    known_names = []
    known_face_encodings = []
    for file in image_files_in_folder(known_people_folder):
        basename = os.path.splitext(os.path.basename(file))[0]
        img = face_recognition.load_image_file(file)
        encodings = face_recognition.face_encodings(img)
        if len(encodings) > 1:
            click.echo("WARNING: More than one face found in {}. Only considering the first face.".format(file))
        if len(encodings) == 0:
            click.echo("WARNING: No faces found in {}. Ignoring file.".format(file))
        else:
            known_names.append(basename)
            known_face_encodings.append(encodings[0])
    return known_names, known_face_encodings


def print_result(filename, name, distance, show_distance=False):
    if show_distance:
        print("{},{},{}".format(filename, name, distance))
    else:
        print("{},{}".format(filename, name))


def test_image(image_to_check, known_names, known_face_encodings, tolerance=0.6, show_distance=False):
    """Prints a line per match for each face in image_to_check (unknown_person for a face that
    matches no one, no_persons_found for an image without faces)."""
    unknown_image = face_recognition.load_image_file(image_to_check)
    if max(unknown_image.shape) > _MAX_SIDE:
        unknown_image = thumbnail(unknown_image, _MAX_SIDE)
    unknown_encodings = face_recognition.face_encodings(unknown_image)
    for unknown_encoding in unknown_encodings:
        distances = face_recognition.face_distance(known_face_encodings, unknown_encoding)
        result = list(distances <= tolerance)
        if True in result:
            for is_match, name, distance in zip(result, known_names, distances):
                if is_match:
                    print_result(image_to_check, name, distance, show_distance)
        else:
            print_result(image_to_check, "unknown_person", None, show_distance)
    if not unknown_encodings:
        print_result(image_to_check, "no_persons_found", None, show_distance)


def process_images_in_process_pool(images_to_check, known_names, known_face_encodings, number_of_cpus, tolerance,
                                   show_distance):
    """test_image on each image in a pool of number_of_cpus processes (-1: one per CPU)."""
    processes = None if number_of_cpus == -1 else number_of_cpus
    # a fresh server process forks the workers: forking a process that has threads (BLAS,
    # facekit's pools) is unsafe, and macOS's libdispatch crashes on it
    context = multiprocessing
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
    pool = context.Pool(processes=processes)
    pool.starmap(test_image, zip(images_to_check, itertools.repeat(known_names),
                                 itertools.repeat(known_face_encodings), itertools.repeat(tolerance),
                                 itertools.repeat(show_distance)))
    # close and join, not terminate: a worker killed by terminate loses the lines still in its
    # stdout buffer
    pool.close()
    pool.join()


@click.command()
@click.argument('known_people_folder')
@click.argument('image_to_check')
@click.option('--cpus', default=1,
              help='number of CPU cores to use in parallel (can speed up processing lots of images). '
                   '-1 means "use all in system"')
@click.option('--tolerance', default=0.6,
              help='Tolerance for face comparisons. Default is 0.6. Lower this if you get multiple matches for the '
                   'same person.')
@click.option('--show-distance', default=False, type=bool,
              help='Output face distance. Useful for tweaking tolerance setting.')
def main(known_people_folder, image_to_check, cpus, tolerance, show_distance):
    """Recognises the known people (one image each in KNOWN_PEOPLE_FOLDER, named after them) in
    IMAGE_TO_CHECK (an image or a folder of images): one line "file,name" per match."""
    known_names, known_face_encodings = scan_known_people(known_people_folder)
    if os.path.isdir(image_to_check):
        images = image_files_in_folder(image_to_check)
        if cpus == 1:
            for image_file in images:
                test_image(image_file, known_names, known_face_encodings, tolerance, show_distance)
        else:
            process_images_in_process_pool(images, known_names, known_face_encodings, cpus, tolerance, show_distance)
    else:
        test_image(image_to_check, known_names, known_face_encodings, tolerance, show_distance)


if __name__ == "__main__":
    main()
