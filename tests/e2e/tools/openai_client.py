"""Drives an AIL2 gateway with OpenAI's official Python client: one chat completion, then the
same request streamed. Prints one JSON line with what came back; exits non-zero on any error.

usage: python3 openai_client.py BASE_URL API_KEY MODEL
"""

import json
import sys

from openai import OpenAI


def main() -> None:
    base_url, api_key, model = sys.argv[1:4]
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)
    messages = [{"role": "user", "content": "Say something about GPUs."}]

    completion = client.chat.completions.create(
        model=model, messages=messages, max_tokens=12, temperature=0
    )
    # AIL2's receipt rides along as an extra field of the response.
    receipt = (completion.model_extra or {}).get("receipt") or {}

    pieces = []
    stream_receipt = None
    finish_reason = None
    stream = client.chat.completions.create(
        model=model, messages=messages, max_tokens=12, temperature=0, stream=True
    )
    for chunk in stream:
        extra = chunk.model_extra or {}
        if "receipt" in extra:
            stream_receipt = extra["receipt"]
        for choice in chunk.choices:
            if choice.delta and choice.delta.content:
                pieces.append(choice.delta.content)
            if choice.finish_reason:
                finish_reason = choice.finish_reason

    print(
        json.dumps(
            {
                "text": completion.choices[0].message.content,
                "finish_reason": completion.choices[0].finish_reason,
                "usage": completion.usage.model_dump() if completion.usage else None,
                "receipt": receipt,
                "stream_text": "".join(pieces),
                "stream_finish_reason": finish_reason,
                "stream_receipt": stream_receipt,
            }
        )
    )


if __name__ == "__main__":
    main()
