"""Collections persist across restarts and survive concurrent writers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError

from framewatch.vision.protocol import RekognitionService

from .helpers import frame, jpeg, rekognition_client, start


def test_collections_survive_a_restart(tmp_path: Any, loaded_service: RekognitionService) -> None:
    first = start(tmp_path, loaded_service)
    client = rekognition_client(first.url)
    client.create_collection(CollectionId="door")
    face_id = client.index_faces(
        CollectionId="door",
        ExternalImageId="visitor",
        Image={"Bytes": jpeg(frame("carphone_pristine.mp4", 0))},
    )["FaceRecords"][0]["Face"]["FaceId"]
    first.stop()
    with pytest.raises(BotoCoreError):  # stopped means stopped, kept-alive connections too
        client.list_collections()

    second = start(tmp_path, loaded_service)
    try:
        client = rekognition_client(second.url)
        assert client.list_collections()["CollectionIds"] == ["door"]
        faces = client.list_faces(CollectionId="door")["Faces"]
        assert [(f["FaceId"], f["ExternalImageId"]) for f in faces] == [(face_id, "visitor")]
        found = client.search_faces_by_image(
            CollectionId="door", Image={"Bytes": jpeg(frame("carphone_pristine.mp4", 20))}
        )
        assert [m["Face"]["FaceId"] for m in found["FaceMatches"]] == [face_id]
    finally:
        second.stop()


def test_concurrent_index_faces(tmp_path: Any, loaded_service: RekognitionService) -> None:
    handle = start(tmp_path, loaded_service)
    try:
        client = rekognition_client(handle.url)
        client.create_collection(CollectionId="busy")
        images = [jpeg(frame("carphone_pristine.mp4", i)) for i in range(0, 60, 10)]
        face_ids: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def worker(worker_id: int) -> None:
            try:
                for round_ in range(3):
                    for index, data in enumerate(images):
                        response = client.index_faces(
                            CollectionId="busy",
                            Image={"Bytes": data},
                            ExternalImageId=f"w{worker_id}-r{round_}-f{index}",
                        )
                        with lock:
                            face_ids.extend(r["Face"]["FaceId"] for r in response["FaceRecords"])
            except BaseException as exc:  # reported below; a thread's exception is otherwise lost
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(face_ids) == 4 * 3 * len(images) == len(set(face_ids))
        listed = []
        token = None
        while True:
            page = client.list_faces(
                CollectionId="busy", MaxResults=25, **({"NextToken": token} if token else {})
            )
            listed.extend(page["Faces"])
            token = page.get("NextToken")
            if not token:
                break
        assert sorted(f["FaceId"] for f in listed) == sorted(face_ids)
        assert client.describe_collection(CollectionId="busy")["FaceCount"] == len(face_ids)
        found = client.search_faces_by_image(CollectionId="busy", MaxFaces=1000, Image={"Bytes": images[0]})
        assert len(found["FaceMatches"]) == len(face_ids)  # every face is the same man
    finally:
        handle.stop()
