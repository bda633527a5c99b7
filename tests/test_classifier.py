"""The digit classifier: shapes, bad input, a learning test, and the bundled checkpoint's card."""

from __future__ import annotations

import pytest
import torch

from imgsynth_edu import pretrained
from imgsynth_edu.data import get_dataset, stack_dataset
from imgsynth_edu.evaluation import classifier_accuracy
from imgsynth_edu.models.classifier import DigitClassifier
from imgsynth_edu.training.classifier import train_classifier


def test_shapes_of_logits_features_and_predictions(generator):
    model = DigitClassifier()
    images = torch.rand(5, 1, 28, 28, generator=generator)
    assert model(images).shape == (5, 10)
    assert model.features(images).shape == (5, 128)
    predicted = model.predict(images, batch_size=2)
    assert predicted.shape == (5,) and predicted.dtype == torch.int64
    assert torch.equal(predicted, model(images).argmax(1))


def test_bad_input_names_the_argument():
    model = DigitClassifier()
    with pytest.raises(ValueError, match="images must have 1 channels"):
        model(torch.rand(2, 3, 28, 28))
    with pytest.raises(ValueError, match="28×28"):
        model.features(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"images must have values in \[0, 1\]"):
        model(torch.rand(2, 1, 28, 28) * 255)
    with pytest.raises(ValueError, match="labels must"):
        classifier_accuracy(model, torch.rand(3, 1, 28, 28), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="embedding_dim"):
        DigitClassifier(embedding_dim=0)


def test_learns_a_small_set_of_real_digits():
    torch.manual_seed(0)
    images, labels = stack_dataset(get_dataset("mnist-5k", "train"), limit=100)
    model = DigitClassifier(width=8, embedding_dim=32)
    before = classifier_accuracy(model, images, labels)
    log = train_classifier(model, images, labels, epochs=20, batch_size=20, lr=3e-3, max_shift=0,
                           generator=torch.Generator().manual_seed(0), progress=False)
    after = classifier_accuracy(model, images, labels)
    assert before < 0.3
    assert after >= 0.97  # it fits 100 real digits
    assert log["steps"] == 20 * 5
    assert sum(log["losses"][-5:]) / 5 < 0.3 < sum(log["losses"][:5]) / 5


def test_bundled_classifier_reaches_the_accuracy_on_its_card():
    model = pretrained.load("digit-classifier")
    card = pretrained.card("digit-classifier")
    assert card["architecture"] == "imgsynth_edu.models.classifier.DigitClassifier"
    assert card["command"].startswith("imgsynth-edu train classifier ")
    images, labels = stack_dataset(get_dataset("mnist-5k", "test"))
    measured = classifier_accuracy(model, images, labels)
    assert measured == pytest.approx(card["scores"]["test_accuracy"], abs=1e-3)
    assert measured > 0.95
