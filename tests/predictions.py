"""Drive a prediction through every choice against every outcome (shared by the topic tests)."""

from course_utils.predict import ask, reveal


def assert_every_choice_is_answered(prediction, outcomes: dict, capsys) -> None:
    """For each outcome and each choice: the verdict line says right exactly when the choice is,
    and every choice's explanation is shown."""
    assert set(outcomes) == set(prediction.choices)
    for truth, measured in outcomes.items():
        assert prediction.right_key(measured) == truth
        for picked in prediction.choices:
            guess = ask(prediction)
            guess.choice = picked
            capsys.readouterr()  # what ask showed
            reveal(guess, measured=measured, shown="the measurement")
            text = capsys.readouterr().out
            verdict = "right!" if picked == truth else "not this time."
            assert text.splitlines()[0] == f"Your guess: {prediction.label(picked)} — {verdict}"
            for key in prediction.choices:
                assert prediction.explanations[key] in text
