"""The REAL SDK socket classes take our arguments, and their own parsing of raw order-socket
frames gives the dicts our parser reads (no network: frames are handed to the SDK's
message handler directly, as its websocket thread would)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.brokers.fyers import parsing
from app.brokers.fyers.order_tags import client_id_from_tag
from app.brokers.fyers.sdk_bridge import (
    SdkSocketFactory,
    SocketLink,
    data_socket_kwargs,
    order_socket_kwargs,
)
from app.engine.domain.orders import OrderSide, OrderStatus


async def test_real_sockets_accept_our_kwargs_and_feed_our_parser(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        link = SocketLink(asyncio.get_running_loop(), 1.0, "t")
        factory = SdkSocketFactory()
        logs = tmp_path / "logs"
        logs.mkdir()
        data = factory.data_socket(**data_socket_kwargs(link, "XB12345-100:tok", logs))
        order = factory.order_socket(**order_socket_kwargs(link, "XB12345-100:tok", logs))
        sdk: Any = order._sock  # type: ignore[attr-defined]
        assert data._sock.OnMessage is not None  # type: ignore[attr-defined]
        raw_order = {
            "s": "ok",
            "orders": {
                "id": "23080400089344",
                "org_ord_status": 6,
                "qty": 3,
                "qty_filled": 1,
                "price_limit": 7.95,
                "ord_type": 1,
                "tran_side": -1,
                "symbol": "NSE:IDEA-EQ",
                "ordertag": "tdmZmj3kZab12Z7",
                "oms_msg": "",
            },
        }
        raw_trade = {
            "s": "ok",
            "trades": {
                "id_fill": "23080400089344-21726639",
                "id": "23080400089344",
                "qty_traded": 1,
                "price_traded": 7.95,
                "tran_side": -1,
                "symbol": "NSE:IDEA-EQ",
                "fill_time": "04-08-2023 10:12:58",
                "ordertag": "tdmZmj3kZab12Z7",
            },
        }
        sdk._FyersOrderSocket__on_message(json.dumps(raw_order))
        sdk._FyersOrderSocket__on_message(json.dumps(raw_trade))
        first, second = await link.events.get(), await link.events.get()
        assert (first.kind, first.channel) == ("message", "orders")
        entry = first.payload["orders"]  # type: ignore[index]
        assert parsing.status_of(entry) is OrderStatus.PARTIALLY_FILLED
        assert client_id_from_tag(entry["orderTag"]) == "tdm-mj3k-ab12-7"
        assert second.channel == "trades"
        fill = parsing.fill_from_trade(second.payload["trades"])  # type: ignore[index]
        assert (fill.client_id, fill.side, fill.price) == (
            "tdm-mj3k-ab12-7",
            OrderSide.SELL,
            Decimal("7.95"),
        )
        assert data.close_connection() is None  # never connected: nothing to stop
        order.close_connection()
    finally:
        os.chdir(old)
    assert list(cwd.iterdir()) == []
    assert {"fyersDataSocket.log", "fyersOrderSocket.log"} <= {p.name for p in logs.iterdir()}
    assert not [
        h
        for h in logging.getLogger("FyersDataSocket").handlers
        if isinstance(h, logging.FileHandler)
    ]  # released on close
