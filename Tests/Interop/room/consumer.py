"""The room relay, as PROTOCOL.md describes it.

Each frame is one JSON object with `peer`, `action` and `message` (an object); anything else
closes the connection. `new-offer` and `new-answer` go to the one channel named in
`message.receiver_channel_name`, which is replaced by the sender's channel. Every other
action is broadcast to the whole room, sender included, with
`message.receiver_channel_name` set to the sender's channel.
"""

import json
import logging

from channels.generic.websocket import AsyncWebsocketConsumer

log = logging.getLogger("room")

ROOM_GROUP = "room"
DIRECTED_ACTIONS = ("new-offer", "new-answer")
PROTOCOL_VIOLATION = 4400


class RoomConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(ROOM_GROUP, self.channel_name)
        await self.accept()
        log.info("connect %s path=%s", self.channel_name, self.scope.get("path"))

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(ROOM_GROUP, self.channel_name)
        log.info("disconnect %s code=%s", self.channel_name, close_code)

    async def receive(self, text_data=None, bytes_data=None):
        frame = self._parse(text_data)
        if frame is None:
            log.warning("closing %s: malformed frame %.200r", self.channel_name,
                        text_data if text_data is not None else bytes_data)
            await self.close(code=PROTOCOL_VIOLATION)
            return

        action = frame["action"]
        message = frame["message"]
        log.info("frame from %s peer=%r action=%r bytes=%d", self.channel_name,
                 frame["peer"], action, len(text_data))

        if action in DIRECTED_ACTIONS:
            receiver = message.get("receiver_channel_name")
            if not isinstance(receiver, str) or not receiver:
                log.warning("closing %s: %s without receiver_channel_name", self.channel_name, action)
                await self.close(code=PROTOCOL_VIOLATION)
                return
            message["receiver_channel_name"] = self.channel_name
            try:
                await self.channel_layer.send(receiver, {"type": "relay", "frame": frame})
            except Exception as error:  # invalid channel name: the original server fails here too
                log.warning("closing %s: cannot send to %r: %s", self.channel_name, receiver, error)
                await self.close(code=PROTOCOL_VIOLATION)
            return

        message["receiver_channel_name"] = self.channel_name
        await self.channel_layer.group_send(ROOM_GROUP, {"type": "relay", "frame": frame})

    async def relay(self, event):
        frame = event["frame"]
        await self.send(text_data=json.dumps(
            {"peer": frame["peer"], "action": frame["action"], "message": frame["message"]}))

    @staticmethod
    def _parse(text_data):
        if text_data is None:
            return None
        try:
            frame = json.loads(text_data)
        except ValueError:
            return None
        if not isinstance(frame, dict):
            return None
        if not all(key in frame for key in ("peer", "action", "message")):
            return None
        if not isinstance(frame["message"], dict):
            return None
        return frame
