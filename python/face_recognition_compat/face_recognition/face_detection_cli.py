"""face_detection_cli: the `face_detection` command: one line "file,top,right,bottom,left" per face found in an image or a folder of images."""

import itertools
import multiprocessing
import os
import re

import click

import face_recognition.api as face_recognition


def image_files_in_folder(folder):
    """The .jpg, .jpeg and .png files in folder (any case), as paths."""
    return [os.path.join(folder, f) for f in os.listdir(folder) if re.match(r'.*\.(jpg|jpeg|png)', f, flags=re.I)]


def print_result(filename, location):
    top, right, bottom, left = location
    print("{},{},{},{},{}".format(filename, top, right, bottom, left))


def test_image(image_to_check, model, upsample):
    unknown_image = face_recognition.load_image_file(image_to_check)
    for face_location in face_recognition.face_locations(unknown_image, number_of_times_to_upsample=upsample,
                                                         model=model):
        print_result(image_to_check, face_location)


def process_images_in_process_pool(images_to_check, number_of_cpus, model, upsample):
    """test_image on each image in a pool of number_of_cpus processes (-1: one per CPU)."""
    processes = None if number_of_cpus == -1 else number_of_cpus
    # forkserver: see face_recognition_cli.process_images_in_process_pool
    context = multiprocessing
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
    pool = context.Pool(processes=processes)
    pool.starmap(test_image, zip(images_to_check, itertools.repeat(model), itertools.repeat(upsample)))
    pool.close()  # and join: terminated workers would lose the lines in their stdout buffers
    pool.join()


@click.command()
@click.argument('image_to_check')
@click.option('--cpus', default=1, help='number of CPU cores to use in parallel. -1 means "use all in system"')
@click.option('--model', default="hog", help='Which face detection model to use. Options are "hog" or "cnn".')
@click.option('--upsample', default=0,
              help='How many times to upsample the image looking for faces. Higher numbers find smaller faces.')
def main(image_to_check, cpus, model, upsample):
    """Finds the faces in IMAGE_TO_CHECK (an image or a folder of images)."""
    if os.path.isdir(image_to_check):
        images = image_files_in_folder(image_to_check)
        if cpus == 1:
            for image_file in images:
                test_image(image_file, model, upsample)
        else:
            process_images_in_process_pool(images, cpus, model, upsample)
    else:
        test_image(image_to_check, model, upsample)


if __name__ == "__main__":
    main()
